// A suspected central facial palsy (forehead sparing): an emergency. The AI
// proposes only the urgent stroke work-up, never rehabilitation.

RuleSet: CentralObservation(output, method, methodText)
* insert AIObservation(2f6c1a0e-7d4b-4e3a-9c1d-000000000003, {output}, preliminary, patient-central, session-central, 2026-03-02T11:40:00+01:00, 2026-03-02T11:51:40+01:00, {method}, {methodText})

Instance: central-hb-grade
InstanceOf: FpcdsHouseBrackmannGrade
Title: "Central palsy example: House-Brackmann grade II"
Usage: #example
* insert CentralObservation(hb-grade, fusion-model, fpcds grading model 0.1.0 - sEMG and motion fusion)
* code.text = "House-Brackmann grade"
* valueCodeableConcept = $FPCDS#HB-II "House-Brackmann grade II (slight dysfunction)"
* valueCodeableConcept.text = "House-Brackmann grade II (slight dysfunction)"
* component[measuredScore].valueQuantity = 7 '{score}' "score"

Instance: central-asymmetry-brow
InstanceOf: FpcdsAsymmetryMeasure
Title: "Central palsy example: brow asymmetry in the brow raise (forehead spared)"
Usage: #example
* insert CentralObservation(asymmetry-brow/brow_raise, landmark-measurement, fpcds landmark measures 0.1.0)
* code = $FPCDS#asymmetry-brow "Brow height asymmetry"
* code.text = "Brow height asymmetry, brow raise"
* valueQuantity = 0.6 'mm' "mm"
* insert TaskComponentValue(brow_raise)
* component[relative].valueQuantity = 5 '%' "%"

Instance: central-asymmetry-commissure
InstanceOf: FpcdsAsymmetryMeasure
Title: "Central palsy example: commissure asymmetry in the open-mouth smile"
Usage: #example
* insert CentralObservation(asymmetry-commissure/smile_open, landmark-measurement, fpcds landmark measures 0.1.0)
* code = $FPCDS#asymmetry-commissure "Oral commissure excursion asymmetry"
* code.text = "Oral commissure excursion asymmetry, open-mouth smile"
* valueQuantity = 3.5 'mm' "mm"
* insert TaskComponentValue(smile_open)
* component[relative].valueQuantity = 33 '%' "%"

Instance: central-probability
InstanceOf: FpcdsClassificationProbability
Title: "Central palsy example: probability of a central palsy"
Usage: #example
* insert CentralObservation(central-palsy-probability, fusion-model, fpcds grading model 0.1.0 - sEMG and motion fusion)
* code = $FPCDS#central-palsy-probability "Probability of central facial palsy"
* code.text = "Probability of central facial palsy"
* valueQuantity = 91 '%' "%"
* interpretation = http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation#H "High"

Instance: central-report-preliminary
InstanceOf: FpcdsAssessmentReport
Title: "Central palsy example: preliminary report"
Usage: #example
* meta.security[aiAsserted] = $v3-ObservationValue#AIAST "Artificial Intelligence asserted"
* identifier[assessmentOutput].value = "2f6c1a0e-7d4b-4e3a-9c1d-000000000003/report"
* status = #preliminary
* code.text = "Facial palsy assessment report"
* subject = Reference(patient-central)
* effectiveDateTime = "2026-03-02T11:40:00+01:00"
* issued = "2026-03-02T11:51:41+01:00"
* result[+] = Reference(central-hb-grade)
* result[+] = Reference(central-asymmetry-brow)
* result[+] = Reference(central-asymmetry-commissure)
* result[+] = Reference(central-probability)
* conclusion = "Suspected central facial palsy (91%): lower face weak, forehead spared. Emergency: stroke work-up now; no rehabilitation plan."
* conclusionCode[+] = $FPCDS#central-palsy-suspected "Suspected central facial palsy"
* insert ExampleReportPdf(2026-03-02T11:51:41+01:00)

Instance: central-care-plan-proposed
InstanceOf: FpcdsCarePlan
Title: "Central palsy example: emergency care plan proposed by the AI"
Usage: #example
* meta.security[aiAsserted] = $v3-ObservationValue#AIAST "Artificial Intelligence asserted"
* identifier[assessmentOutput].value = "2f6c1a0e-7d4b-4e3a-9c1d-000000000003/care-plan"
* status = #draft
* intent = #proposal
* category = $FPCDS#central-palsy-pathway "Suspected central facial palsy: emergency pathway"
* title = "Suspected central facial palsy: urgent stroke work-up"
* description = "Forehead-sparing facial weakness suggests a central cause: refer now for emergency stroke work-up. No rehabilitation is proposed."
* subject = Reference(patient-central)
* created = "2026-03-02T11:51:41+01:00"
* author = Reference(fpcds-grading-model)
* supportingInfo[+] = Reference(central-probability)
* activity[+].detail.code = $FPCDS#urgent-stroke-referral "Urgent stroke work-up"
* activity[=].detail.status = #not-started
* activity[=].detail.description = "Emergency referral for stroke work-up (neurological examination and brain imaging) without delay."
