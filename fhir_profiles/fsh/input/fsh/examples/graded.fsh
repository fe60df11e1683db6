// A left peripheral facial palsy, House-Brackmann III, with synkinesis: the
// AI proposes a care plan (draft, proposal); the clinician approves it
// (active, plan), which the Provenance records as verifier. The report
// exists as preliminary (before approval) and final (after).

RuleSet: GradedObservation(output, method, methodText)
* insert AIObservation(2f6c1a0e-7d4b-4e3a-9c1d-000000000002, {output}, final, patient-graded, session-graded, 2026-03-02T10:15:00+01:00, 2026-03-02T10:27:10+01:00, {method}, {methodText})

Instance: graded-hb-grade
InstanceOf: FpcdsHouseBrackmannGrade
Title: "Peripheral palsy example: House-Brackmann grade III"
Usage: #example
* insert GradedObservation(hb-grade, fusion-model, fpcds grading model 0.1.0 - sEMG and motion fusion)
* code.text = "House-Brackmann grade"
* valueCodeableConcept = $FPCDS#HB-III "House-Brackmann grade III (moderate dysfunction)"
* valueCodeableConcept.text = "House-Brackmann grade III (moderate dysfunction)"
* component[measuredScore].valueQuantity = 5 '{score}' "score"

Instance: graded-sunnybrook
InstanceOf: FpcdsSunnybrook
Title: "Peripheral palsy example: Sunnybrook composite 47"
Usage: #example
* insert GradedObservation(sunnybrook, fusion-model, fpcds grading model 0.1.0 - sEMG and motion fusion)
* code.text = "Sunnybrook composite score"
* valueQuantity = 47 '{score}' "score"
* component[resting].valueQuantity = 10 '{score}' "score"
* component[voluntary].valueQuantity = 60 '{score}' "score"
* component[synkinesis].valueQuantity = 3 '{score}' "score"

Instance: graded-sunnybrook-estimate
InstanceOf: FpcdsSunnybrook
Title: "Peripheral palsy example: Sunnybrook composite estimated by a model, with its prediction interval"
Usage: #example
* insert GradedObservation(sunnybrook/model, fusion-model, fpcds sunnybrook model 0.1.0 - sEMG and motion fusion)
* code.text = "Sunnybrook composite score (model estimate)"
* valueQuantity = 49 '{score}' "score"
* component[interval].code.text = "80% prediction interval"
* component[interval].valueRange.low = 40 '{score}' "score"
* component[interval].valueRange.high = 58 '{score}' "score"

Instance: graded-eface
InstanceOf: FpcdsEface
Title: "Peripheral palsy example: eFACE"
Usage: #example
* insert GradedObservation(eface, landmark-measurement, fpcds auto-eFACE 0.1.0 - landmark ratios)
* code.text = "eFACE total score"
* valueQuantity = 62 '{score}' "score"
* component[static].valueQuantity = 70 '{score}' "score"
* component[dynamic].valueQuantity = 55 '{score}' "score"
* component[synkinesis].valueQuantity = 80 '{score}' "score"

Instance: graded-asymmetry-brow
InstanceOf: FpcdsAsymmetryMeasure
Title: "Peripheral palsy example: brow asymmetry in the brow raise"
Usage: #example
* insert GradedObservation(asymmetry-brow/brow_raise, landmark-measurement, fpcds landmark measures 0.1.0)
* code = $FPCDS#asymmetry-brow "Brow height asymmetry"
* code.text = "Brow height asymmetry, brow raise"
* valueQuantity = 3.2 'mm' "mm"
* insert TaskComponentValue(brow_raise)
* component[relative].valueQuantity = 27 '%' "%"

Instance: graded-asymmetry-commissure
InstanceOf: FpcdsAsymmetryMeasure
Title: "Peripheral palsy example: commissure asymmetry in the open-mouth smile"
Usage: #example
* insert GradedObservation(asymmetry-commissure/smile_open, landmark-measurement, fpcds landmark measures 0.1.0)
* code = $FPCDS#asymmetry-commissure "Oral commissure excursion asymmetry"
* code.text = "Oral commissure excursion asymmetry, open-mouth smile"
* valueQuantity = 4.1 'mm' "mm"
* insert TaskComponentValue(smile_open)
* component[relative].valueQuantity = 38 '%' "%"

Instance: graded-asymmetry-palpebral-fissure
InstanceOf: FpcdsAsymmetryMeasure
Title: "Peripheral palsy example: palpebral fissure asymmetry in gentle eye closure"
Usage: #example
* insert GradedObservation(asymmetry-palpebral-fissure/gentle_eye_closure, landmark-measurement, fpcds landmark measures 0.1.0)
* code = $FPCDS#asymmetry-palpebral-fissure "Palpebral fissure asymmetry"
* code.text = "Palpebral fissure asymmetry, gentle eye closure"
* valueQuantity = 2.4 'mm' "mm"
* insert TaskComponentValue(gentle_eye_closure)

Instance: graded-asymmetry-smile-angle
InstanceOf: FpcdsAsymmetryMeasure
Title: "Peripheral palsy example: smile angle asymmetry in the open-mouth smile"
Usage: #example
* insert GradedObservation(asymmetry-smile-angle/smile_open, landmark-measurement, fpcds landmark measures 0.1.0)
* code = $FPCDS#asymmetry-smile-angle "Smile angle asymmetry"
* code.text = "Smile angle asymmetry, open-mouth smile"
* valueQuantity = 9.5 'deg' "degrees"
* insert TaskComponentValue(smile_open)

Instance: graded-semg-zygomaticus-rms-ratio
InstanceOf: FpcdsSemgMeasure
Title: "Peripheral palsy example: zygomaticus RMS ratio in the open-mouth smile"
Usage: #example
* insert GradedObservation(semg-rms-ratio/zygomaticus/smile_open, semg-analysis, fpcds sEMG measures 0.1.0 - 20-450 Hz band-pass and 50 Hz notch)
* code = $FPCDS#semg-rms-ratio "sEMG RMS amplitude ratio (affected / healthy)"
* code.text = "Zygomaticus major sEMG RMS ratio, open-mouth smile"
* bodySite = $FPCDS#zygomaticus "Zygomaticus major"
* valueQuantity = 0.52 '1' "ratio"
* insert TaskComponentValue(smile_open)

Instance: graded-semg-zygomaticus-median-frequency-left
InstanceOf: FpcdsSemgMeasure
Title: "Peripheral palsy example: left zygomaticus median frequency in the open-mouth smile"
Usage: #example
* insert GradedObservation(semg-median-frequency/zygomaticus/left/smile_open, semg-analysis, fpcds sEMG measures 0.1.0 - Welch spectrum)
* code = $FPCDS#semg-median-frequency "sEMG median frequency"
* code.text = "Zygomaticus major sEMG median frequency, left, open-mouth smile"
* bodySite = $FPCDS#zygomaticus "Zygomaticus major"
* valueQuantity = 78 'Hz' "Hz"
* insert TaskComponentValue(smile_open)
* component[side].valueCodeableConcept = $FPCDS#left "Left"

Instance: graded-semg-zygomaticus-hf-fraction-left
InstanceOf: FpcdsSemgMeasure
Title: "Peripheral palsy example: left zygomaticus high-frequency power fraction"
Usage: #example
* insert GradedObservation(semg-hf-fraction/zygomaticus/left/smile_open, semg-analysis, fpcds sEMG measures 0.1.0 - Welch spectrum)
* code = $FPCDS#semg-hf-fraction "sEMG high-frequency power fraction"
* code.text = "Zygomaticus major sEMG power above 200 Hz, left, open-mouth smile"
* bodySite = $FPCDS#zygomaticus "Zygomaticus major"
* valueQuantity = 11 '%' "%"
* insert TaskComponentValue(smile_open)
* component[side].valueCodeableConcept = $FPCDS#left "Left"

Instance: graded-central-probability
InstanceOf: FpcdsClassificationProbability
Title: "Peripheral palsy example: probability of a central palsy"
Usage: #example
* insert GradedObservation(central-palsy-probability, fusion-model, fpcds grading model 0.1.0 - sEMG and motion fusion)
* code = $FPCDS#central-palsy-probability "Probability of central facial palsy"
* code.text = "Probability of central facial palsy"
* valueQuantity = 6 '%' "%"

Instance: graded-synkinesis-probability
InstanceOf: FpcdsClassificationProbability
Title: "Peripheral palsy example: probability of synkinesis"
Usage: #example
* insert GradedObservation(synkinesis-probability, fusion-model, fpcds grading model 0.1.0 - sEMG and motion fusion)
* code = $FPCDS#synkinesis-probability "Probability of synkinesis"
* code.text = "Probability of synkinesis"
* valueQuantity = 71 '%' "%"

Instance: graded-prognosis
InstanceOf: FpcdsRecoveryPrognosis
Title: "Peripheral palsy example: recovery prognosis"
Usage: #example
* insert GradedObservation(recovery-prognosis, fusion-model, fpcds prognosis model 0.1.0)
* code.text = "Facial palsy recovery prognosis"
* component[completeRecovery6mo].valueQuantity = 68 '%' "%"
* component[weeksQ10].valueQuantity = 4 'wk' "weeks"
* component[weeksQ50].valueQuantity = 9 'wk' "weeks"
* component[weeksQ90].valueQuantity = 20 'wk' "weeks"

// The report before and after approval.
RuleSet: GradedReport(status, issued)
* meta.security[aiAsserted] = $v3-ObservationValue#AIAST "Artificial Intelligence asserted"
* identifier[assessmentOutput].value = "2f6c1a0e-7d4b-4e3a-9c1d-000000000002/report"
* status = #{status}
* code.text = "Facial palsy assessment report"
* subject = Reference(patient-graded)
* effectiveDateTime = "2026-03-02T10:15:00+01:00"
* issued = "{issued}"
* result[+] = Reference(graded-hb-grade)
* result[+] = Reference(graded-sunnybrook)
* result[+] = Reference(graded-eface)
* result[+] = Reference(graded-asymmetry-brow)
* result[+] = Reference(graded-asymmetry-commissure)
* result[+] = Reference(graded-asymmetry-palpebral-fissure)
* result[+] = Reference(graded-asymmetry-smile-angle)
* result[+] = Reference(graded-semg-zygomaticus-rms-ratio)
* result[+] = Reference(graded-semg-zygomaticus-median-frequency-left)
* result[+] = Reference(graded-semg-zygomaticus-hf-fraction-left)
* result[+] = Reference(graded-central-probability)
* result[+] = Reference(graded-synkinesis-probability)
* result[+] = Reference(graded-prognosis)
* conclusion = "Left peripheral facial palsy, House-Brackmann grade III (Sunnybrook composite 47) with likely synkinesis (71%). Central palsy unlikely (6%). Probability of complete recovery by 6 months 68%; median time to recovery 9 weeks (10th-90th percentile 4-20)."
* conclusionCode[+] = $FPCDS#peripheral-palsy "Peripheral facial palsy"
* conclusionCode[+] = $FPCDS#synkinesis-present "Synkinesis present"
* insert ExampleReportPdf(2026-03-02T10:27:11+01:00)

Instance: graded-report-preliminary
InstanceOf: FpcdsAssessmentReport
Title: "Peripheral palsy example: preliminary report (before approval)"
Usage: #example
* insert GradedReport(preliminary, 2026-03-02T10:27:12+01:00)

Instance: graded-report-final
InstanceOf: FpcdsAssessmentReport
Title: "Peripheral palsy example: final report (approved)"
Usage: #example
* insert GradedReport(final, 2026-03-02T10:31:00+01:00)
* resultsInterpreter = Reference(example-clinician)

// The care plan before and after approval.
RuleSet: GradedCarePlan(status, intent, activityStatus)
* meta.security[aiAsserted] = $v3-ObservationValue#AIAST "Artificial Intelligence asserted"
* identifier[assessmentOutput].value = "2f6c1a0e-7d4b-4e3a-9c1d-000000000002/care-plan"
* status = #{status}
* intent = #{intent}
* category = $FPCDS#peripheral-palsy-pathway "Peripheral facial palsy management"
* title = "Left peripheral facial palsy: management plan"
* description = "Eye protection while eye closure is incomplete, reassessment every 4 weeks, referral rules, and neuromuscular retraining for synkinesis."
* subject = Reference(patient-graded)
* created = "2026-03-02T10:27:12+01:00"
* author = Reference(fpcds-grading-model)
* supportingInfo[+] = Reference(graded-hb-grade)
* supportingInfo[+] = Reference(graded-synkinesis-probability)
* supportingInfo[+] = Reference(graded-prognosis)
* activity[+].detail.code = $FPCDS#eye-protection "Eye protection"
* activity[=].detail.status = #{activityStatus}
* activity[=].detail.description = "Lubricating eye drops by day; ointment and taping or a moisture chamber at night while eye closure is incomplete."
* activity[+].detail.code = $FPCDS#reassessment "Scheduled reassessment"
* activity[=].detail.status = #{activityStatus}
* activity[=].detail.description = "Reassess facial function with fpcds every 4 weeks until recovery."
* activity[=].detail.scheduledTiming.repeat.frequency = 1
* activity[=].detail.scheduledTiming.repeat.period = 4
* activity[=].detail.scheduledTiming.repeat.periodUnit = #wk
* activity[+].detail.code = $FPCDS#specialist-referral "Referral to a facial nerve specialist"
* activity[=].detail.status = #{activityStatus}
* activity[=].detail.description = "Refer to a facial nerve specialist on new or worsening neurological findings or ocular symptoms, or if recovery is incomplete 3 months after onset."
* activity[+].detail.code = $FPCDS#neuromuscular-retraining "Facial neuromuscular retraining"
* activity[=].detail.status = #{activityStatus}
* activity[=].detail.description = "Facial neuromuscular retraining with sEMG biofeedback for synkinesis."

Instance: graded-care-plan-proposed
InstanceOf: FpcdsCarePlan
Title: "Peripheral palsy example: care plan proposed by the AI"
Usage: #example
* insert GradedCarePlan(draft, proposal, not-started)

Instance: graded-care-plan-approved
InstanceOf: FpcdsCarePlan
Title: "Peripheral palsy example: care plan approved by the clinician"
Usage: #example
* insert GradedCarePlan(active, plan, scheduled)

Instance: graded-provenance
InstanceOf: FpcdsProvenance
Title: "Peripheral palsy example: Provenance of the approved outputs"
Usage: #example
* target[+] = Reference(graded-report-final)
* target[+] = Reference(graded-care-plan-approved)
* target[+] = Reference(graded-hb-grade)
* target[+] = Reference(graded-sunnybrook)
* target[+] = Reference(graded-eface)
* target[+] = Reference(graded-prognosis)
* recorded = "2026-03-02T10:31:00+01:00"
* activity = $v3-DataOperation#CREATE "create"
* agent[aiAuthor].type = $participant-type#author "Author"
* agent[aiAuthor].who = Reference(fpcds-grading-model)
* agent[verifier].type = $participant-type#verifier "Verifier"
* agent[verifier].who = Reference(example-clinician)
* entity[+].role = #derivation
* entity[=].what = Reference(session-graded)
