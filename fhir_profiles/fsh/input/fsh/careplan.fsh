Profile: FpcdsCarePlan
Parent: CarePlan
Id: fpcds-care-plan
Title: "Facial palsy care plan (AI-proposed)"
Description: "A care plan proposed by fpcds (status draft, intent proposal) and, after a clinician approves it, active with intent plan; the approval is recorded as the Provenance verifier. A peripheral palsy plan may hold eye protection, scheduled reassessment, referral rules and, for synkinesis, neuromuscular retraining. A suspected central palsy is an emergency: its plan holds the urgent stroke work-up and never rehabilitation."
* insert AIProduced
* insert AssessmentIdentifier
* obeys fpcds-cp-1 and fpcds-cp-2 and fpcds-cp-3 and fpcds-cp-4
* status MS
* intent MS
* intent from CarePlanIntents (required)
* category 1..1 MS
* category from CarePathways (required)
* category ^short = "The care pathway"
* title 1..1 MS
* description 1..1 MS
* subject 1..1 MS
* subject only Reference(Patient)
* created 1..1 MS
* author 1..1 MS
* author only Reference(FpcdsAIDevice or Practitioner or PractitionerRole)
* supportingInfo MS
* supportingInfo ^short = "The assessment report and Observations the plan rests on"
* activity 1..* MS
* activity.reference 0..0
* activity.detail 1..1 MS
* activity.detail.code 1..1 MS
* activity.detail.code from CarePlanActivities (required)
* activity.detail.status MS
* activity.detail.description 1..1 MS
* activity.detail.scheduled[x] MS
