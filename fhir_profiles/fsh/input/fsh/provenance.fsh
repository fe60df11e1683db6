Profile: FpcdsProvenance
Parent: Provenance
Id: fpcds-provenance
Title: "fpcds AI Provenance"
Description: "Who and what produced the targets: the AI Device as author, the approving clinician as verifier, and the inputs as entities with role derivation (HL7 AI Transparency on FHIR). Written in the same transaction as its targets."
* obeys fpcds-prov-1
* target 1..* MS
* recorded MS
* activity MS
* agent MS
* agent ^slicing.discriminator.type = #pattern
* agent ^slicing.discriminator.path = "type"
* agent ^slicing.rules = #open
* agent contains aiAuthor 1..1 MS and verifier 0..1 MS
* agent[aiAuthor].type 1..1
* agent[aiAuthor].type = $participant-type#author
* agent[aiAuthor].who only Reference(FpcdsAIDevice)
* agent[aiAuthor] ^short = "The AI model (Device)"
* agent[verifier].type 1..1
* agent[verifier].type = $participant-type#verifier
* agent[verifier].who only Reference(Practitioner or PractitionerRole)
* agent[verifier] ^short = "The clinician who approved the output"
* entity 1..* MS
* entity.role MS
* entity.what MS
