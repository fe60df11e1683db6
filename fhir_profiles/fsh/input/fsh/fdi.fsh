// The patient-reported Facial Disability Index (FDI; VanSwearingen and Brach
// 1996) as a Questionnaire. The wording of the items paraphrases the published
// instrument; it is not the published text. Answers are codes of the fpcds
// CodeSystem; each answer option carries the points it scores
// (ordinalValue), so a reader can re-score a response without fpcds.
// plugin/fhir/fdi.py scores responses from this resource.

Alias: $ordinalValue = http://hl7.org/fhir/StructureDefinition/ordinalValue

RuleSet: FdiOption(code, display, points)
* answerOption[+].valueCoding = $FPCDS#{code} "{display}"
* answerOption[=].extension[+].url = $ordinalValue
* answerOption[=].extension[=].valueDecimal = {points}

// Items 1-5: 5 = no difficulty ... 1 = did not do it because of health; 0 = not counted.
RuleSet: FdiDifficultyItem(linkId, text)
* linkId = "{linkId}"
* prefix = "{linkId}."
* text = "{text}"
* type = #choice
* required = true
* insert FdiOption(fdi-no-difficulty, No difficulty, 5)
* insert FdiOption(fdi-little-difficulty, A little difficulty, 4)
* insert FdiOption(fdi-some-difficulty, Some difficulty, 3)
* insert FdiOption(fdi-much-difficulty, Much difficulty, 2)
* insert FdiOption(fdi-not-done-health, Usually did not do this because of my health, 1)
* insert FdiOption(fdi-not-done-other, Usually did not do this for other reasons, 0)

// Items 6-10: six frequencies, scored from all of the time to none of the time.
RuleSet: FdiFrequencyItem(linkId, text, all, most, goodbit, some, little, none)
* linkId = "{linkId}"
* prefix = "{linkId}."
* text = "{text}"
* type = #choice
* required = true
* insert FdiOption(fdi-all-of-the-time, All of the time, {all})
* insert FdiOption(fdi-most-of-the-time, Most of the time, {most})
* insert FdiOption(fdi-good-bit-of-the-time, A good bit of the time, {goodbit})
* insert FdiOption(fdi-some-of-the-time, Some of the time, {some})
* insert FdiOption(fdi-little-of-the-time, A little of the time, {little})
* insert FdiOption(fdi-none-of-the-time, None of the time, {none})

RuleSet: FdiScoreItem(linkId, code, text)
* linkId = "{linkId}"
* code = $FPCDS#{code}
* text = "{text}"
* type = #decimal
* required = false
* readOnly = true

Instance: fdi
InstanceOf: Questionnaire
Usage: #definition
Title: "Facial Disability Index (FDI)"
Description: "The patient-reported Facial Disability Index, paraphrasing the published instrument (VanSwearingen JM, Brach JS. The Facial Disability Index: reliability and validity of a disability assessment instrument for disorders of the facial neuromuscular system. Phys Ther 1996;76(12):1288-1298); the item wording is fpcds's own. Physical function, items 1-5: 5 = no difficulty, 4 = a little, 3 = some, 2 = much difficulty, 1 = usually did not do it because of health, 0 = usually did not do it for other reasons (the item is not counted); score = (sum - N) / N x 25 over the N counted items. Social and well-being function, items 6-10, on a six-point frequency scale: item 6 scores 6 (all of the time) to 1 (none of the time), items 7-10 the reverse; score = (sum - N) / N x 20. Both scores run from 0 to 100, 100 = no disability; each answer option carries its points as ordinalValue. The two score items are calculated by the software that records a response."
* url = "http://fpcds.example.org/fhir/Questionnaire/fdi"
* version = "1.0.0"
* name = "FacialDisabilityIndex"
* title = "Facial Disability Index (FDI)"
* status = #active
* experimental = false
* date = "2026-11-25"
* publisher = "fpcds"
* subjectType = #Patient
* purpose = "Patient-reported physical and social function after facial nerve injury, recorded with fpcds assessments and used by its models."
* item[+].linkId = "physical"
* item[=].text = "Physical function. During the past month, because of the way your face works, how much difficulty did you have with each of the following?"
* item[=].type = #group
* item[=].required = true
* item[=].item[+]
* item[=].item[=] insert FdiDifficultyItem(1, Eating: keeping food in your mouth\, moving it around and chewing it)
* item[=].item[+]
* item[=].item[=] insert FdiDifficultyItem(2, Drinking from a cup or glass without spilling)
* item[=].item[+]
* item[=].item[=] insert FdiDifficultyItem(3, Pronouncing particular sounds clearly when you speak)
* item[=].item[+]
* item[=].item[=] insert FdiDifficultyItem(4, Too many tears or a dry eye on the affected side)
* item[=].item[+]
* item[=].item[=] insert FdiDifficultyItem(5, Brushing your teeth or rinsing out your mouth)
* item[+].linkId = "social"
* item[=].text = "Social and well-being function. During the past month, how much of the time did the following apply to you?"
* item[=].type = #group
* item[=].required = true
* item[=].item[+]
* item[=].item[=] insert FdiFrequencyItem(6, You felt calm and at peace, 6, 5, 4, 3, 2, 1)
* item[=].item[+]
* item[=].item[=] insert FdiFrequencyItem(7, You kept away from the people around you, 1, 2, 3, 4, 5, 6)
* item[=].item[+]
* item[=].item[=] insert FdiFrequencyItem(8, You were short-tempered with the people around you, 1, 2, 3, 4, 5, 6)
* item[=].item[+]
* item[=].item[=] insert FdiFrequencyItem(9, You woke early\, or woke several times during the night, 1, 2, 3, 4, 5, 6)
* item[=].item[+]
* item[=].item[=] insert FdiFrequencyItem(10, The way your face works kept you from going out to eat or shop\, or from family or social activities, 1, 2, 3, 4, 5, 6)
* item[+].linkId = "scores"
* item[=].text = "Scores (0 to 100, 100 = no disability), calculated from the answers"
* item[=].type = #group
* item[=].required = false
* item[=].item[+]
* item[=].item[=] insert FdiScoreItem(physical-score, fdi-physical-score, Physical function score from items 1-5)
* item[=].item[+]
* item[=].item[=] insert FdiScoreItem(social-score, fdi-social-score, Social and well-being function score from items 6-10)
