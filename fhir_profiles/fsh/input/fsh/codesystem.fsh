// The local code system: every measure, score, grade and plan activity that
// fpcds writes and for which no LOINC or SNOMED CT concept exists (there is
// no LOINC code for House-Brackmann or Sunnybrook; 70189-6 is an NIH Stroke
// Scale item and must not be reused). Grouping concepts are not selectable.
// Codes for muscles, sides and protocol tasks are the names fpcds uses in
// code (acquisition/anatomy.py, acquisition/protocol.py).

CodeSystem: FpcdsCodes
Id: fpcds
Title: "fpcds codes"
Description: "Measures, scores, grades, measurement context and care-plan activities of the fpcds facial palsy clinical decision-support plugin."
* ^status = #draft
* ^experimental = false
* ^caseSensitive = true
* ^hierarchyMeaning = #grouped-by
* ^content = #complete
* ^property[+].code = #notSelectable
* ^property[=].uri = "http://hl7.org/fhir/concept-properties#notSelectable"
* ^property[=].description = "Grouping concept; not used in data."
* ^property[=].type = #boolean

* #grading-scales "Facial nerve grading scales" "Grouping: clinical grading scales of facial nerve function."
* #grading-scales ^property[+].code = #notSelectable
* #grading-scales ^property[=].valueBoolean = true
  * #hb-grade "House-Brackmann grade" "Facial nerve function on the House-Brackmann scale, grade I (normal) to VI (no movement)."
  * #hb-measured-score "House-Brackmann measured score" "Measured House-Brackmann score: upward brow movement plus lateral commissure movement, 1 point per 0.25 cm up to 1 cm each; 0 to 8 points."
  * #sunnybrook-composite "Sunnybrook composite score" "Sunnybrook Facial Grading System composite score: voluntary movement score minus resting symmetry score minus synkinesis score; 0 to 100 in practice (-15 to 100 by the arithmetic)."
  * #sunnybrook-resting "Sunnybrook resting symmetry score" "Resting symmetry of eye, cheek and mouth, summed and multiplied by 5; 0 to 20."
  * #sunnybrook-voluntary "Sunnybrook voluntary movement score" "Voluntary movement of five standard expressions, each 1 to 5, summed and multiplied by 4; 20 to 100."
  * #sunnybrook-synkinesis "Sunnybrook synkinesis score" "Synkinesis during the five standard expressions, each 0 to 3; 0 to 15."
  * #eface-total "eFACE total score" "eFACE total score; 0 to 100, 100 = normal."
  * #eface-static "eFACE static score" "eFACE static (resting) subscore; 0 to 100, 100 = balanced."
  * #eface-dynamic "eFACE dynamic score" "eFACE dynamic (voluntary movement) subscore; 0 to 100, 100 = complete movement."
  * #eface-synkinesis "eFACE synkinesis score" "eFACE synkinesis subscore; 0 to 100, 100 = no synkinesis."
  * #hb-expected-grade "House-Brackmann expected grade" "Probability-weighted mean grade number (I = 1 ... VI = 6) of a model's House-Brackmann grade distribution; 1 to 6."
  * #hb-grade-probability "Probability of the stated House-Brackmann grade" "Model-estimated probability of the grade given as the Observation value, in percent."

* #hb-grades "House-Brackmann grades" "Grouping: the six House-Brackmann grades."
* #hb-grades ^property[+].code = #notSelectable
* #hb-grades ^property[=].valueBoolean = true
  * #HB-I "House-Brackmann grade I (normal)" "Normal facial function in all areas; measured score 8/8."
  * #HB-II "House-Brackmann grade II (slight dysfunction)" "Slight weakness, normal symmetry at rest, eye closes with minimal effort; measured score 7/8."
  * #HB-III "House-Brackmann grade III (moderate dysfunction)" "Obvious but not disfiguring weakness, eye closes with effort, noticeable synkinesis; measured score 5-6/8."
  * #HB-IV "House-Brackmann grade IV (moderately severe dysfunction)" "Disfiguring asymmetry, no forehead movement, incomplete eye closure; measured score 3-4/8."
  * #HB-V "House-Brackmann grade V (severe dysfunction)" "Barely perceptible motion, asymmetric at rest; measured score 1-2/8."
  * #HB-VI "House-Brackmann grade VI (total paralysis)" "No movement; measured score 0/8."

* #asymmetry-measures "Facial landmark asymmetry measures" "Grouping: left-right differences of facial landmark measures, in a frame where the inter-iris line is horizontal."
* #asymmetry-measures ^property[+].code = #notSelectable
* #asymmetry-measures ^property[=].valueBoolean = true
  * #asymmetry-brow "Brow height asymmetry" "Absolute left-right difference of the pupil-to-brow distance, in mm."
  * #asymmetry-commissure "Oral commissure excursion asymmetry" "Absolute left-right difference of the oral commissure excursion (lower-lip midline point to commissure), in mm."
  * #asymmetry-palpebral-fissure "Palpebral fissure asymmetry" "Absolute left-right difference of the palpebral fissure height, in mm."
  * #asymmetry-smile-angle "Smile angle asymmetry" "Absolute left-right difference of the smile angle, in degrees."
  * #asymmetry-percent "Asymmetry relative to the healthy side" "100 x |left - right| / healthy-side value, in percent."

* #semg-measures "Facial surface EMG measures" "Grouping: measures of facial surface EMG per muscle."
* #semg-measures ^property[+].code = #notSelectable
* #semg-measures ^property[=].valueBoolean = true
  * #semg-rms-ratio "sEMG RMS amplitude ratio (affected / healthy)" "Ratio of the RMS amplitude on the affected side to that on the healthy side, for one muscle and task; 1 = symmetric."
  * #semg-median-frequency "sEMG median frequency" "Median frequency of the sEMG power spectrum (Welch), for one muscle, side and task, in Hz."
  * #semg-hf-fraction "sEMG high-frequency power fraction" "Fraction of sEMG power above 200 Hz, for one muscle, side and task, in percent."

* #classifications "Classification probabilities" "Grouping: model-estimated probabilities of a class."
* #classifications ^property[+].code = #notSelectable
* #classifications ^property[=].valueBoolean = true
  * #central-palsy-probability "Probability of central facial palsy" "Model-estimated probability that the palsy is central (supranuclear) rather than peripheral, in percent."
  * #synkinesis-probability "Probability of synkinesis" "Model-estimated probability that synkinesis is present, in percent."

* #prognosis-measures "Recovery prognosis" "Grouping: model-estimated recovery prognosis."
* #prognosis-measures ^property[+].code = #notSelectable
* #prognosis-measures ^property[=].valueBoolean = true
  * #recovery-prognosis "Facial palsy recovery prognosis" "Model-estimated prognosis of recovery of facial nerve function (panel)."
  * #complete-recovery-6mo-probability "Probability of complete recovery by 6 months" "Model-estimated probability of complete recovery within 6 months of onset, in percent."
  * #weeks-to-recovery-q10 "Weeks to recovery, 10th percentile" "10th percentile of the predicted time from onset to recovery, in weeks."
  * #weeks-to-recovery-q50 "Weeks to recovery, median" "Median of the predicted time from onset to recovery, in weeks."
  * #weeks-to-recovery-q90 "Weeks to recovery, 90th percentile" "90th percentile of the predicted time from onset to recovery, in weeks."

* #measurement-context "Measurement context" "Grouping: codes of components that say under which condition a measure was taken."
* #measurement-context ^property[+].code = #notSelectable
* #measurement-context ^property[=].valueBoolean = true
  * #protocol-task "Protocol task" "The task of the standard protocol during which the measure was taken."
  * #body-side "Body side" "The patient's side on which the measure was taken."
  * #prediction-interval "Prediction interval" "Interval expected to contain the true value with a stated nominal probability (e.g. the 10th to 90th percentile, conformally calibrated), in the unit of the value."

* #facial-muscles "Facial muscles" "Grouping: muscles with bilateral surface EMG sites (Fridlund and Cacioppo 1986)."
* #facial-muscles ^property[+].code = #notSelectable
* #facial-muscles ^property[=].valueBoolean = true
  * #frontalis_medial "Frontalis, medial" "Medial frontalis (temporal branch)."
  * #frontalis_lateral "Frontalis, lateral" "Lateral frontalis (temporal branch)."
  * #corrugator "Corrugator supercilii" "Corrugator supercilii (temporal branch)."
  * #depressor_supercilii "Depressor supercilii" "Depressor supercilii (temporal branch)."
  * #orbicularis_oculi "Orbicularis oculi" "Orbicularis oculi (zygomatic branch)."
  * #levator_labii "Levator labii superioris" "Levator labii superioris (buccal branch)."
  * #zygomaticus "Zygomaticus major" "Zygomaticus major (zygomatic branch)."
  * #orbicularis_oris "Orbicularis oris" "Orbicularis oris (buccal branch)."
  * #depressor_anguli_oris "Depressor anguli oris" "Depressor anguli oris (marginal mandibular branch)."
  * #mentalis "Mentalis" "Mentalis (marginal mandibular branch)."
  * #masseter "Masseter" "Masseter (trigeminal nerve); a control muscle that a facial palsy leaves intact."

* #body-sides "Body sides" "Grouping: the patient's sides."
* #body-sides ^property[+].code = #notSelectable
* #body-sides ^property[=].valueBoolean = true
  * #left "Left" "The patient's left side."
  * #right "Right" "The patient's right side."

* #protocol-tasks "Protocol tasks" "Grouping: tasks of the standard facial assessment protocol, each held about 3 s and repeated 3 times."
* #protocol-tasks ^property[+].code = #notSelectable
* #protocol-tasks ^property[=].valueBoolean = true
  * #rest "Rest" "Face relaxed, looking straight ahead."
  * #brow_raise "Brow raise" "Raise both eyebrows as high as possible."
  * #gentle_eye_closure "Gentle eye closure" "Close the eyes gently, as in sleep."
  * #tight_eye_closure "Tight eye closure" "Squeeze the eyes shut tightly."
  * #snarl "Snarl (nose wrinkle)" "Wrinkle the nose, raising the upper lip."
  * #smile_closed "Closed-mouth smile" "Smile with the lips closed."
  * #smile_open "Open-mouth smile" "Big smile showing the teeth."
  * #pucker "Lip pucker" "Pucker the lips, as when saying 'ooo'."
  * #eee "'Eee'" "Say a long 'eee', pulling the lower lip down and back."
  * #cheek_puff "Cheek puff" "Fill the cheeks with air, lips sealed."

* #care-pathways "Care pathways" "Grouping: the pathway a care plan follows."
* #care-pathways ^property[+].code = #notSelectable
* #care-pathways ^property[=].valueBoolean = true
  * #peripheral-palsy-pathway "Peripheral facial palsy management" "Management of a peripheral (lower motor neuron) facial palsy, e.g. Bell's palsy."
  * #central-palsy-pathway "Suspected central facial palsy: emergency pathway" "Suspected central (supranuclear) facial palsy, e.g. forehead sparing: an emergency needing a stroke work-up, never a rehabilitation plan."

* #care-plan-activities "Care-plan activities" "Grouping: activities fpcds may propose."
* #care-plan-activities ^property[+].code = #notSelectable
* #care-plan-activities ^property[=].valueBoolean = true
  * #eye-protection "Eye protection" "Protect the eye when eye closure is impaired: lubricating drops by day, ointment and taping or a moisture chamber at night."
  * #reassessment "Scheduled reassessment" "Reassess facial function on a schedule."
  * #specialist-referral "Referral to a facial nerve specialist" "Refer when new or worsening neurological findings or ocular symptoms appear, or recovery is incomplete 3 months after onset."
  * #neuromuscular-retraining "Facial neuromuscular retraining" "Facial neuromuscular retraining with biofeedback, for synkinesis management (a rehabilitation activity)."
  * #urgent-stroke-referral "Urgent stroke work-up" "Emergency referral for stroke work-up of a suspected central facial palsy."
  * #oral-corticosteroids "Oral corticosteroids" "Oral corticosteroids started within 72 hours of onset for patients aged 16 years or older with Bell's palsy (AAO-HNS Clinical Practice Guideline: Bell's Palsy, 2013); antivirals may be added but are not given alone."

* #document-types "Document types" "Grouping: types of documents fpcds writes or refers to."
* #document-types ^property[+].code = #notSelectable
* #document-types ^property[=].valueBoolean = true
  * #assessment-report "Facial palsy assessment report" "Report of an automated facial palsy assessment: grades, measures, prognosis and their explanations."
  * #model-card "AI model card" "Model card of a deployed model: version, intended use, training data, metrics and limitations."
  * #session-record "Facial sEMG and motion session record" "A recorded session of facial surface EMG and facial motion."

* #report-conclusions "Report conclusions" "Grouping: coded conclusions of an assessment report."
* #report-conclusions ^property[+].code = #notSelectable
* #report-conclusions ^property[=].valueBoolean = true
  * #no-palsy-detected "No facial palsy detected" "Facial function within normal limits."
  * #peripheral-palsy "Peripheral facial palsy" "Findings consistent with a peripheral facial palsy."
  * #central-palsy-suspected "Suspected central facial palsy" "Findings suggest a central facial palsy (forehead sparing): urgent stroke work-up."
  * #synkinesis-present "Synkinesis present" "Involuntary co-activation of facial muscles during voluntary movement."

* #methods "Methods" "Grouping: how fpcds obtained a value."
* #methods ^property[+].code = #notSelectable
* #methods ^property[=].valueBoolean = true
  * #landmark-measurement "Facial landmark measurement" "Measured from 3-D facial landmarks (MediaPipe face mesh with iris refinement), scaled by iris diameter."
  * #semg-analysis "Surface EMG signal analysis" "Computed from band-pass and notch filtered facial surface EMG."
  * #fusion-model "sEMG and motion fusion model" "Estimated by a machine-learning model on sEMG and facial-motion features (ONNX)."
  * #rule-based-grading "Rule-based grading" "Graded from landmark and sEMG measures by documented rules and thresholds, without machine learning; every item keeps the measures it used."

* #fdi "Facial Disability Index" "Grouping: the patient-reported Facial Disability Index (VanSwearingen and Brach 1996), the Questionnaire http://fpcds.example.org/fhir/Questionnaire/fdi."
* #fdi ^property[+].code = #notSelectable
* #fdi ^property[=].valueBoolean = true
  * #fdi-physical-score "FDI physical function score" "(sum - N) / N x 25 over the N counted items 1-5 (an item answered 'usually did not do, for other reasons' is not counted); 0 to 100, 100 = no disability."
  * #fdi-social-score "FDI social and well-being function score" "(sum - N) / N x 20 over items 6-10; 0 to 100, 100 = no disability."
  * #fdi-difficulty-answers "FDI difficulty answers" "Grouping: answers to the physical function items 1-5, scored 5 (no difficulty) to 1; 0 = not counted."
  * #fdi-difficulty-answers ^property[+].code = #notSelectable
  * #fdi-difficulty-answers ^property[=].valueBoolean = true
    * #fdi-no-difficulty "No difficulty" "No difficulty (5 points)."
    * #fdi-little-difficulty "A little difficulty" "A little difficulty (4 points)."
    * #fdi-some-difficulty "Some difficulty" "Some difficulty (3 points)."
    * #fdi-much-difficulty "Much difficulty" "Much difficulty (2 points)."
    * #fdi-not-done-health "Usually did not do this because of my health" "Usually did not do this because of health (1 point)."
    * #fdi-not-done-other "Usually did not do this for other reasons" "Usually did not do this for other reasons (0: the item is not counted)."
  * #fdi-frequency-answers "FDI frequency answers" "Grouping: answers to the social and well-being items 6-10; item 6 scores 6 (all of the time) to 1 (none of the time), items 7-10 the reverse."
  * #fdi-frequency-answers ^property[+].code = #notSelectable
  * #fdi-frequency-answers ^property[=].valueBoolean = true
    * #fdi-all-of-the-time "All of the time" "All of the time."
    * #fdi-most-of-the-time "Most of the time" "Most of the time."
    * #fdi-good-bit-of-the-time "A good bit of the time" "A good bit of the time."
    * #fdi-some-of-the-time "Some of the time" "Some of the time."
    * #fdi-little-of-the-time "A little of the time" "A little of the time."
    * #fdi-none-of-the-time "None of the time" "None of the time."
