// Value sets. Each enumerates its codes, so that an offline, in-memory
// terminology service can expand and validate them without filters.

RuleSet: DraftValueSet
* ^status = #draft
* ^experimental = false

ValueSet: HouseBrackmannGrades
Id: hb-grades
Title: "House-Brackmann grades"
Description: "The six House-Brackmann grades of facial nerve function."
* insert DraftValueSet
* $FPCDS#HB-I
* $FPCDS#HB-II
* $FPCDS#HB-III
* $FPCDS#HB-IV
* $FPCDS#HB-V
* $FPCDS#HB-VI

ValueSet: AsymmetryMeasures
Id: asymmetry-measures
Title: "Facial asymmetry measures"
Description: "Landmark asymmetry measures fpcds reports as Observations."
* insert DraftValueSet
* $FPCDS#asymmetry-brow
* $FPCDS#asymmetry-commissure
* $FPCDS#asymmetry-palpebral-fissure
* $FPCDS#asymmetry-smile-angle

ValueSet: SemgMeasures
Id: semg-measures
Title: "Facial sEMG measures"
Description: "Surface EMG measures fpcds reports as Observations."
* insert DraftValueSet
* $FPCDS#semg-rms-ratio
* $FPCDS#semg-median-frequency
* $FPCDS#semg-hf-fraction

ValueSet: ClassificationProbabilities
Id: classification-probabilities
Title: "Classification probabilities"
Description: "Model-estimated class probabilities fpcds reports as Observations."
* insert DraftValueSet
* $FPCDS#central-palsy-probability
* $FPCDS#synkinesis-probability

ValueSet: FacialMuscles
Id: facial-muscles
Title: "Facial muscles"
Description: "Muscles with bilateral facial surface EMG sites."
* insert DraftValueSet
* $FPCDS#frontalis_medial
* $FPCDS#frontalis_lateral
* $FPCDS#corrugator
* $FPCDS#depressor_supercilii
* $FPCDS#orbicularis_oculi
* $FPCDS#levator_labii
* $FPCDS#zygomaticus
* $FPCDS#orbicularis_oris
* $FPCDS#depressor_anguli_oris
* $FPCDS#mentalis
* $FPCDS#masseter

ValueSet: BodySides
Id: body-sides
Title: "Body sides"
Description: "The patient's left and right."
* insert DraftValueSet
* $FPCDS#left
* $FPCDS#right

ValueSet: ProtocolTasks
Id: protocol-tasks
Title: "Protocol tasks"
Description: "Tasks of the standard facial assessment protocol."
* insert DraftValueSet
* $FPCDS#rest
* $FPCDS#brow_raise
* $FPCDS#gentle_eye_closure
* $FPCDS#tight_eye_closure
* $FPCDS#snarl
* $FPCDS#smile_closed
* $FPCDS#smile_open
* $FPCDS#pucker
* $FPCDS#eee
* $FPCDS#cheek_puff

ValueSet: CarePathways
Id: care-pathways
Title: "Care pathways"
Description: "The pathway an fpcds care plan follows."
* insert DraftValueSet
* $FPCDS#peripheral-palsy-pathway
* $FPCDS#central-palsy-pathway

ValueSet: CarePlanActivities
Id: care-plan-activities
Title: "Care-plan activities"
Description: "Activities an fpcds care plan may contain."
* insert DraftValueSet
* $FPCDS#eye-protection
* $FPCDS#reassessment
* $FPCDS#specialist-referral
* $FPCDS#neuromuscular-retraining
* $FPCDS#urgent-stroke-referral
* $FPCDS#oral-corticosteroids

ValueSet: RehabilitationActivities
Id: rehabilitation-activities
Title: "Rehabilitation activities"
Description: "Care-plan activities that are rehabilitation; never part of a suspected central palsy plan (invariant fpcds-cp-1)."
* insert DraftValueSet
* $FPCDS#neuromuscular-retraining

ValueSet: CarePlanIntents
Id: care-plan-intents
Title: "fpcds care-plan intents"
Description: "proposal while the plan is an AI proposal awaiting approval; plan once a clinician has approved it."
* insert DraftValueSet
* http://hl7.org/fhir/request-intent#proposal
* http://hl7.org/fhir/request-intent#plan

ValueSet: ReportStatuses
Id: report-statuses
Title: "fpcds report statuses"
Description: "preliminary until a clinician approves the report, final after; amended, corrected or entered-in-error later."
* insert DraftValueSet
* http://hl7.org/fhir/diagnostic-report-status#preliminary
* http://hl7.org/fhir/diagnostic-report-status#final
* http://hl7.org/fhir/diagnostic-report-status#amended
* http://hl7.org/fhir/diagnostic-report-status#corrected
* http://hl7.org/fhir/diagnostic-report-status#entered-in-error

ValueSet: ReportConclusions
Id: report-conclusions
Title: "Report conclusions"
Description: "Coded conclusions of an fpcds assessment report."
* insert DraftValueSet
* $FPCDS#no-palsy-detected
* $FPCDS#peripheral-palsy
* $FPCDS#central-palsy-suspected
* $FPCDS#synkinesis-present

ValueSet: AssessmentMethods
Id: assessment-methods
Title: "Assessment methods"
Description: "How fpcds obtained a value."
* insert DraftValueSet
* $FPCDS#landmark-measurement
* $FPCDS#semg-analysis
* $FPCDS#fusion-model
* $FPCDS#rule-based-grading
