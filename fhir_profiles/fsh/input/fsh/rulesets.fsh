// Rules shared by several profiles.

// HL7 AI Transparency on FHIR: AI-produced resources carry the security label
// v3-ObservationValue#AIAST ("AI asserted"). The slice documents the label;
// invariant fpcds-ai-1 gives a readable error when it is missing.
RuleSet: AIProduced
* obeys fpcds-ai-1
* meta 1..1 MS
* meta.security 1..* MS
* meta.security ^slicing.discriminator.type = #pattern
* meta.security ^slicing.discriminator.path = "$this"
* meta.security ^slicing.rules = #open
* meta.security ^slicing.description = "The AI Transparency label, plus any other security labels."
* meta.security contains aiAsserted 1..1 MS
* meta.security[aiAsserted] = $v3-ObservationValue#AIAST
* meta.security[aiAsserted] ^short = "AI asserted (HL7 AI Transparency on FHIR)"

// The business identifier fpcds writes with conditional create
// (ifNoneExist: identifier=<system>|<value>), so that a retried write-back
// creates nothing twice. Its value names the assessment and the output.
RuleSet: AssessmentIdentifier
* identifier 1..* MS
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier contains assessmentOutput 1..1 MS
* identifier[assessmentOutput].system 1..1
* identifier[assessmentOutput].system = $sid-output
* identifier[assessmentOutput].value 1..1
* identifier[assessmentOutput] ^short = "assessment id / output name"

RuleSet: ObservationCategory(code)
* category ^slicing.discriminator.type = #pattern
* category ^slicing.discriminator.path = "$this"
* category ^slicing.rules = #open
* category contains kind 1..1 MS
* category[kind] = $obs-category#{code}

RuleSet: ComponentSlicing
* component ^slicing.discriminator.type = #pattern
* component ^slicing.discriminator.path = "code"
* component ^slicing.rules = #open

// A component slice holding a UCUM quantity.
RuleSet: QuantityComponent(slice, code, unit)
* component[{slice}].code = $FPCDS#{code}
* component[{slice}].value[x] 1..1
* component[{slice}].value[x] only Quantity
* component[{slice}].valueQuantity.value 1..1
* component[{slice}].valueQuantity.system 1..1
* component[{slice}].valueQuantity.system = $UCUM
* component[{slice}].valueQuantity.code 1..1
* component[{slice}].valueQuantity.code = #{unit}

// The value of the Observation itself as a UCUM quantity.
RuleSet: QuantityValue
* value[x] 1..1 MS
* value[x] only Quantity
* valueQuantity.value 1..1
* valueQuantity.system 1..1
* valueQuantity.system = $UCUM
* valueQuantity.code 1..1

RuleSet: TaskComponent
* component[task].code = $FPCDS#protocol-task
* component[task].value[x] 1..1
* component[task].value[x] only CodeableConcept
* component[task].valueCodeableConcept from ProtocolTasks (required)
