// Observation profiles. Grading scales are category survey; sEMG and motion
// measures are category procedure (docs/integration.md). Every value names
// its method (the algorithm), the AI Device, and the inputs it was derived
// from (the session record and feature Observations).

Profile: FpcdsAIObservation
Parent: Observation
Id: fpcds-ai-observation
Title: "fpcds AI-produced Observation (abstract)"
Description: "Rules every Observation written by fpcds follows: the AI Transparency label, a business identifier for conditional create, a coded and worded code, the patient, when the session was recorded and when the value was computed, the method, the AI Device and the inputs."
* ^abstract = true
* insert AIProduced
* insert AssessmentIdentifier
* status MS
* category 1..* MS
* code MS
* code.coding 1..* MS
* code.text 1..1 MS
* subject 1..1 MS
* subject only Reference(Patient)
* effective[x] 1..1 MS
* effective[x] only dateTime
* effective[x] ^short = "When the session was recorded"
* issued 1..1 MS
* issued ^short = "When the value was computed"
* method 1..1 MS
* method from AssessmentMethods (extensible)
* method.text 1..1 MS
* method.text ^short = "The algorithm, with model id and version"
* device 1..1 MS
* device only Reference(FpcdsAIDevice)
* derivedFrom 1..* MS
* derivedFrom ^short = "The session record and the feature Observations this value comes from"

Profile: FpcdsHouseBrackmannGrade
Parent: FpcdsAIObservation
Id: fpcds-hb-grade
Title: "House-Brackmann grade (AI)"
Description: "The House-Brackmann grade (I-VI) estimated by fpcds: either by rule from the measured form, with the measured score (0-8 points), or by a model, with the probability of the stated grade and the expected grade of the model's grade distribution. The method says which."
* insert ObservationCategory(survey)
* code = $FPCDS#hb-grade
* value[x] 1..1 MS
* value[x] only CodeableConcept
* valueCodeableConcept from HouseBrackmannGrades (required)
* insert ComponentSlicing
* component contains measuredScore 0..1 MS and gradeProbability 0..1 MS and expectedGrade 0..1 MS
* insert QuantityComponent(measuredScore, hb-measured-score, {score})
* component[measuredScore] obeys fpcds-hb-1
* insert QuantityComponent(gradeProbability, hb-grade-probability, %)
* component[gradeProbability] obeys fpcds-0-100
* insert QuantityComponent(expectedGrade, hb-expected-grade, 1)
* component[expectedGrade] obeys fpcds-hb-2

Profile: FpcdsSunnybrook
Parent: FpcdsAIObservation
Id: fpcds-sunnybrook
Title: "Sunnybrook facial grading (AI)"
Description: "The Sunnybrook composite score: graded by rule, with its resting symmetry, voluntary movement and synkinesis components, or estimated by a model, with its prediction interval. The method says which."
* insert ObservationCategory(survey)
* code = $FPCDS#sunnybrook-composite
* insert QuantityValue
* valueQuantity.code = #{score}
* obeys fpcds-sb-0 and fpcds-sb-1 and fpcds-sb-5 and fpcds-sb-6
* insert ComponentSlicing
* component contains resting 0..1 MS and voluntary 0..1 MS and synkinesis 0..1 MS and interval 0..1 MS
* insert QuantityComponent(resting, sunnybrook-resting, {score})
* insert QuantityComponent(voluntary, sunnybrook-voluntary, {score})
* insert QuantityComponent(synkinesis, sunnybrook-synkinesis, {score})
* component[resting] obeys fpcds-sb-2
* component[voluntary] obeys fpcds-sb-3
* component[synkinesis] obeys fpcds-sb-4
* component[interval].code = $FPCDS#prediction-interval
* component[interval].code.text 1..1
* component[interval].code.text ^short = "The interval's nominal coverage, e.g. '80% prediction interval'"
* component[interval].value[x] 1..1
* component[interval].value[x] only Range
* component[interval].valueRange.low 1..1
* component[interval].valueRange.low.system = $UCUM
* component[interval].valueRange.low.code = #{score}
* component[interval].valueRange.high 1..1
* component[interval].valueRange.high.system = $UCUM
* component[interval].valueRange.high.code = #{score}

Profile: FpcdsEface
Parent: FpcdsAIObservation
Id: fpcds-eface
Title: "eFACE score (AI)"
Description: "The eFACE total score with its static, dynamic and synkinesis subscores (0-100, 100 = normal)."
* insert ObservationCategory(survey)
* code = $FPCDS#eface-total
* insert QuantityValue
* valueQuantity.code = #{score}
* obeys fpcds-0-100
* insert ComponentSlicing
* component contains static 1..1 MS and dynamic 1..1 MS and synkinesis 1..1 MS
* insert QuantityComponent(static, eface-static, {score})
* insert QuantityComponent(dynamic, eface-dynamic, {score})
* insert QuantityComponent(synkinesis, eface-synkinesis, {score})
* component[static] obeys fpcds-0-100
* component[dynamic] obeys fpcds-0-100
* component[synkinesis] obeys fpcds-0-100

Profile: FpcdsAsymmetryMeasure
Parent: FpcdsAIObservation
Id: fpcds-asymmetry-measure
Title: "Facial asymmetry measure"
Description: "A left-right asymmetry of a facial landmark measure during one protocol task: |left - right| in mm (deg for the smile angle), optionally also relative to the healthy side (%)."
* insert ObservationCategory(procedure)
* code from AsymmetryMeasures (required)
* insert QuantityValue
* obeys fpcds-asym-1 and fpcds-nonneg
* insert ComponentSlicing
* component contains task 1..1 MS and relative 0..1 MS
* insert TaskComponent
* insert QuantityComponent(relative, asymmetry-percent, %)
* component[relative] obeys fpcds-nonneg

Profile: FpcdsSemgMeasure
Parent: FpcdsAIObservation
Id: fpcds-semg-measure
Title: "Facial sEMG measure"
Description: "A surface EMG measure of one facial muscle (bodySite) during one protocol task: the affected/healthy RMS ratio, or the median frequency or high-frequency power fraction of one side."
* insert ObservationCategory(procedure)
* code from SemgMeasures (required)
* bodySite 1..1 MS
* bodySite from FacialMuscles (required)
* insert QuantityValue
* obeys fpcds-semg-1 and fpcds-semg-2 and fpcds-nonneg
* insert ComponentSlicing
* component contains task 1..1 MS and side 0..1 MS
* insert TaskComponent
* component[side].code = $FPCDS#body-side
* component[side].value[x] 1..1
* component[side].value[x] only CodeableConcept
* component[side].valueCodeableConcept from BodySides (required)

Profile: FpcdsClassificationProbability
Parent: FpcdsAIObservation
Id: fpcds-classification-probability
Title: "Classification probability (AI)"
Description: "A model-estimated probability, in percent: central (vs peripheral) palsy, or synkinesis."
* insert ObservationCategory(survey)
* code from ClassificationProbabilities (required)
* insert QuantityValue
* valueQuantity.code = #%
* obeys fpcds-0-100
* interpretation MS

Profile: FpcdsRecoveryPrognosis
Parent: FpcdsAIObservation
Id: fpcds-recovery-prognosis
Title: "Recovery prognosis (AI)"
Description: "The model-estimated prognosis: probability of complete recovery by 6 months after onset, and quantiles of the weeks to recovery."
* insert ObservationCategory(survey)
* code = $FPCDS#recovery-prognosis
* value[x] 0..0
* obeys fpcds-prog-1
* insert ComponentSlicing
* component 4..* MS
* component contains completeRecovery6mo 1..1 MS and weeksQ10 1..1 MS and weeksQ50 1..1 MS and weeksQ90 1..1 MS
* insert QuantityComponent(completeRecovery6mo, complete-recovery-6mo-probability, %)
* insert QuantityComponent(weeksQ10, weeks-to-recovery-q10, wk)
* insert QuantityComponent(weeksQ50, weeks-to-recovery-q50, wk)
* insert QuantityComponent(weeksQ90, weeks-to-recovery-q90, wk)
* component[completeRecovery6mo] obeys fpcds-0-100
* component[weeksQ10] obeys fpcds-nonneg
* component[weeksQ50] obeys fpcds-nonneg
* component[weeksQ90] obeys fpcds-nonneg
