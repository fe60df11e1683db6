// A person without facial palsy: symmetric face, HB I, low probability of a
// central palsy. The report is final (approved).


Instance: healthy-hb-grade
InstanceOf: FpcdsHouseBrackmannGrade
Title: "Healthy example: House-Brackmann grade I"
Usage: #example
* insert AIObservation(2f6c1a0e-7d4b-4e3a-9c1d-000000000001, hb-grade, final, patient-healthy, session-healthy, 2026-03-02T09:05:00+01:00, 2026-03-02T09:16:30+01:00, fusion-model, fpcds grading model 0.1.0 - sEMG and motion fusion)
* code.text = "House-Brackmann grade"
* valueCodeableConcept = $FPCDS#HB-I "House-Brackmann grade I (normal)"
* valueCodeableConcept.text = "House-Brackmann grade I (normal)"
* component[measuredScore].valueQuantity = 8 '{score}' "score"

Instance: healthy-sunnybrook
InstanceOf: FpcdsSunnybrook
Title: "Healthy example: Sunnybrook composite 100"
Usage: #example
* insert AIObservation(2f6c1a0e-7d4b-4e3a-9c1d-000000000001, sunnybrook, final, patient-healthy, session-healthy, 2026-03-02T09:05:00+01:00, 2026-03-02T09:16:30+01:00, fusion-model, fpcds grading model 0.1.0 - sEMG and motion fusion)
* code.text = "Sunnybrook composite score"
* valueQuantity = 100 '{score}' "score"
* component[resting].valueQuantity = 0 '{score}' "score"
* component[voluntary].valueQuantity = 100 '{score}' "score"
* component[synkinesis].valueQuantity = 0 '{score}' "score"

Instance: healthy-eface
InstanceOf: FpcdsEface
Title: "Healthy example: eFACE"
Usage: #example
* insert AIObservation(2f6c1a0e-7d4b-4e3a-9c1d-000000000001, eface, final, patient-healthy, session-healthy, 2026-03-02T09:05:00+01:00, 2026-03-02T09:16:30+01:00, landmark-measurement, fpcds auto-eFACE 0.1.0 - landmark ratios)
* code.text = "eFACE total score"
* valueQuantity = 96 '{score}' "score"
* component[static].valueQuantity = 97 '{score}' "score"
* component[dynamic].valueQuantity = 95 '{score}' "score"
* component[synkinesis].valueQuantity = 98 '{score}' "score"

Instance: healthy-asymmetry-commissure
InstanceOf: FpcdsAsymmetryMeasure
Title: "Healthy example: commissure asymmetry in the open-mouth smile"
Usage: #example
* insert AIObservation(2f6c1a0e-7d4b-4e3a-9c1d-000000000001, asymmetry-commissure/smile_open, final, patient-healthy, session-healthy, 2026-03-02T09:05:00+01:00, 2026-03-02T09:16:30+01:00, landmark-measurement, fpcds landmark measures 0.1.0)
* code = $FPCDS#asymmetry-commissure "Oral commissure excursion asymmetry"
* code.text = "Oral commissure excursion asymmetry, open-mouth smile"
* valueQuantity = 0.8 'mm' "mm"
* insert TaskComponentValue(smile_open)
* component[relative].valueQuantity = 3.1 '%' "%"

Instance: healthy-semg-zygomaticus-rms-ratio
InstanceOf: FpcdsSemgMeasure
Title: "Healthy example: zygomaticus RMS ratio in the open-mouth smile"
Usage: #example
* insert AIObservation(2f6c1a0e-7d4b-4e3a-9c1d-000000000001, semg-rms-ratio/zygomaticus/smile_open, final, patient-healthy, session-healthy, 2026-03-02T09:05:00+01:00, 2026-03-02T09:16:30+01:00, semg-analysis, fpcds sEMG measures 0.1.0 - 20-450 Hz band-pass and 50 Hz notch)
* code = $FPCDS#semg-rms-ratio "sEMG RMS amplitude ratio (affected / healthy)"
* code.text = "Zygomaticus major sEMG RMS ratio, open-mouth smile"
* bodySite = $FPCDS#zygomaticus "Zygomaticus major"
* valueQuantity = 0.96 '1' "ratio"
* insert TaskComponentValue(smile_open)

Instance: healthy-central-probability
InstanceOf: FpcdsClassificationProbability
Title: "Healthy example: probability of a central palsy"
Usage: #example
* insert AIObservation(2f6c1a0e-7d4b-4e3a-9c1d-000000000001, central-palsy-probability, final, patient-healthy, session-healthy, 2026-03-02T09:05:00+01:00, 2026-03-02T09:16:30+01:00, fusion-model, fpcds grading model 0.1.0 - sEMG and motion fusion)
* code = $FPCDS#central-palsy-probability "Probability of central facial palsy"
* code.text = "Probability of central facial palsy"
* valueQuantity = 3 '%' "%"

Instance: healthy-report
InstanceOf: FpcdsAssessmentReport
Title: "Healthy example: final assessment report"
Usage: #example
* meta.security[aiAsserted] = $v3-ObservationValue#AIAST "Artificial Intelligence asserted"
* identifier[assessmentOutput].value = "2f6c1a0e-7d4b-4e3a-9c1d-000000000001/report"
* status = #final
* code.text = "Facial palsy assessment report"
* subject = Reference(patient-healthy)
* effectiveDateTime = "2026-03-02T09:05:00+01:00"
* issued = "2026-03-02T09:21:00+01:00"
* resultsInterpreter = Reference(example-clinician)
* result[+] = Reference(healthy-hb-grade)
* result[+] = Reference(healthy-sunnybrook)
* result[+] = Reference(healthy-eface)
* result[+] = Reference(healthy-asymmetry-commissure)
* result[+] = Reference(healthy-semg-zygomaticus-rms-ratio)
* result[+] = Reference(healthy-central-probability)
* conclusion = "No facial palsy detected: House-Brackmann grade I, Sunnybrook composite 100. Small left-right differences are within healthy limits."
* conclusionCode[+] = $FPCDS#no-palsy-detected "No facial palsy detected"
* insert ExampleReportPdf(2026-03-02T09:16:31+01:00)
