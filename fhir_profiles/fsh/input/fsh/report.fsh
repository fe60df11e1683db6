Profile: FpcdsAssessmentReport
Parent: DiagnosticReport
Id: fpcds-assessment-report
Title: "Facial palsy assessment report (AI)"
Description: "The assessment report: the result Observations, a worded and coded conclusion and, when made, the PDF report. Preliminary until a clinician approves it; final after, naming that clinician as resultsInterpreter."
* insert AIProduced
* insert AssessmentIdentifier
* obeys fpcds-dr-1
* status MS
* status from ReportStatuses (required)
* code MS
* code = $FPCDS#assessment-report
* code.text 1..1 MS
* subject 1..1 MS
* subject only Reference(Patient)
* effective[x] 1..1 MS
* effective[x] only dateTime
* issued 1..1 MS
* resultsInterpreter MS
* resultsInterpreter only Reference(Practitioner or PractitionerRole)
* resultsInterpreter ^short = "The approving clinician (required once final)"
* result 1..* MS
* result only Reference(FpcdsHouseBrackmannGrade or FpcdsSunnybrook or FpcdsEface or FpcdsAsymmetryMeasure or FpcdsSemgMeasure or FpcdsClassificationProbability or FpcdsRecoveryPrognosis)
* conclusion 1..1 MS
* conclusionCode MS
* conclusionCode from ReportConclusions (extensible)
* presentedForm MS
* presentedForm ^short = "The PDF report, when one was made"
* presentedForm ^slicing.discriminator.type = #value
* presentedForm ^slicing.discriminator.path = "contentType"
* presentedForm ^slicing.rules = #open
* presentedForm contains pdf 0..1 MS
* presentedForm[pdf].contentType 1..1
* presentedForm[pdf].contentType = #application/pdf
* presentedForm[pdf].data 1..1 MS
* presentedForm[pdf].title 1..1 MS
* presentedForm[pdf].creation 1..1 MS
