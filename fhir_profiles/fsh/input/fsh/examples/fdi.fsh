// A Facial Disability Index response of the peripheral palsy example patient,
// filled in by the patient and recorded by the example clinician, as fpcds
// writes it (plugin/fhir/fdi.py). Item 5 is answered "for other reasons" and
// is not counted: physical = (12 - 4) / 4 x 25 = 50, social = (21 - 5) / 5 x 20 = 64.

RuleSet: FdiAnswer(linkId, text, code, display)
* linkId = "{linkId}"
* text = "{text}"
* answer[+].valueCoding = $FPCDS#{code} "{display}"

Instance: fdi-response-graded
InstanceOf: QuestionnaireResponse
Title: "Facial Disability Index of the peripheral palsy example"
Usage: #example
* identifier.system = "http://fpcds.example.org/fhir/sid/fdi-response"
* identifier.value = "0d9e6b52-1c0f-4a57-9a0e-5f7c2b8e4a11"
* questionnaire = "http://fpcds.example.org/fhir/Questionnaire/fdi|1.0.0"
* status = #completed
* subject = Reference(patient-graded)
* authored = "2026-03-02T10:05:00+01:00"
* author = Reference(example-clinician)
* source = Reference(patient-graded)
* item[+].linkId = "physical"
* item[=].text = "Physical function. During the past month, because of the way your face works, how much difficulty did you have with each of the following?"
* item[=].item[+]
* item[=].item[=] insert FdiAnswer(1, Eating: keeping food in your mouth\, moving it around and chewing it, fdi-some-difficulty, Some difficulty)
* item[=].item[+]
* item[=].item[=] insert FdiAnswer(2, Drinking from a cup or glass without spilling, fdi-much-difficulty, Much difficulty)
* item[=].item[+]
* item[=].item[=] insert FdiAnswer(3, Pronouncing particular sounds clearly when you speak, fdi-little-difficulty, A little difficulty)
* item[=].item[+]
* item[=].item[=] insert FdiAnswer(4, Too many tears or a dry eye on the affected side, fdi-some-difficulty, Some difficulty)
* item[=].item[+]
* item[=].item[=] insert FdiAnswer(5, Brushing your teeth or rinsing out your mouth, fdi-not-done-other, Usually did not do this for other reasons)
* item[+].linkId = "social"
* item[=].text = "Social and well-being function. During the past month, how much of the time did the following apply to you?"
* item[=].item[+]
* item[=].item[=] insert FdiAnswer(6, You felt calm and at peace, fdi-most-of-the-time, Most of the time)
* item[=].item[+]
* item[=].item[=] insert FdiAnswer(7, You kept away from the people around you, fdi-little-of-the-time, A little of the time)
* item[=].item[+]
* item[=].item[=] insert FdiAnswer(8, You were short-tempered with the people around you, fdi-some-of-the-time, Some of the time)
* item[=].item[+]
* item[=].item[=] insert FdiAnswer(9, You woke early\, or woke several times during the night, fdi-good-bit-of-the-time, A good bit of the time)
* item[=].item[+]
* item[=].item[=] insert FdiAnswer(10, The way your face works kept you from going out to eat or shop\, or from family or social activities, fdi-some-of-the-time, Some of the time)
* item[+].linkId = "scores"
* item[=].text = "Scores (0 to 100, 100 = no disability), calculated from the answers"
* item[=].item[+].linkId = "physical-score"
* item[=].item[=].text = "Physical function score from items 1-5"
* item[=].item[=].answer[+].valueDecimal = 50.0
* item[=].item[+].linkId = "social-score"
* item[=].item[=].text = "Social and well-being function score from items 6-10"
* item[=].item[=].answer[+].valueDecimal = 64.0
