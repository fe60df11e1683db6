// Invariants (FHIRPath). Each message says what a conformant resource does.

Invariant: fpcds-ai-1
Description: "An AI-produced resource carries the HL7 AI Transparency label meta.security = v3-ObservationValue#AIAST."
Expression: "meta.security.where(system = 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue' and code = 'AIAST').exists()"
Severity: #error

Invariant: fpcds-0-100
Description: "The value lies between 0 and 100."
Expression: "value.ofType(Quantity).value.all($this >= 0 and $this <= 100)"
Severity: #error

Invariant: fpcds-nonneg
Description: "The value is not negative."
Expression: "value.ofType(Quantity).value.all($this >= 0)"
Severity: #error

Invariant: fpcds-hb-1
Description: "The House-Brackmann measured score lies between 0 and 8."
Expression: "value.ofType(Quantity).value.all($this >= 0 and $this <= 8)"
Severity: #error

Invariant: fpcds-sb-0
Description: "The Sunnybrook composite lies between -15 and 100: voluntary movement (20-100) minus resting symmetry (0-20) minus synkinesis (0-15); 0-100 in practice."
Expression: "value.ofType(Quantity).value.all($this >= -15 and $this <= 100)"
Severity: #error

Invariant: fpcds-sb-1
Description: "The Sunnybrook composite equals voluntary movement minus resting symmetry minus synkinesis (within 0.5), when the subscores are given."
Expression: "component.where(code.coding.code = 'sunnybrook-voluntary').exists() implies (value.ofType(Quantity).value - (component.where(code.coding.code = 'sunnybrook-voluntary').value.ofType(Quantity).value - component.where(code.coding.code = 'sunnybrook-resting').value.ofType(Quantity).value - component.where(code.coding.code = 'sunnybrook-synkinesis').value.ofType(Quantity).value)).abs() <= 0.5"
Severity: #error

Invariant: fpcds-sb-5
Description: "A Sunnybrook Observation carries either all three subscores (resting symmetry, voluntary movement, synkinesis; a rule-based grading) or a prediction interval (a model estimate)."
Expression: "(component.where(code.coding.code = 'sunnybrook-resting').exists() and component.where(code.coding.code = 'sunnybrook-voluntary').exists() and component.where(code.coding.code = 'sunnybrook-synkinesis').exists()) or component.where(code.coding.code = 'prediction-interval').exists()"
Severity: #error

Invariant: fpcds-sb-6
Description: "A prediction interval contains the estimate: low <= value <= high."
Expression: "component.where(code.coding.code = 'prediction-interval').exists() implies (component.where(code.coding.code = 'prediction-interval').value.ofType(Range).low.value <= value.ofType(Quantity).value and value.ofType(Quantity).value <= component.where(code.coding.code = 'prediction-interval').value.ofType(Range).high.value)"
Severity: #error

Invariant: fpcds-hb-2
Description: "The House-Brackmann expected grade lies between 1 (grade I) and 6 (grade VI)."
Expression: "value.ofType(Quantity).value.all($this >= 1 and $this <= 6)"
Severity: #error

Invariant: fpcds-sb-2
Description: "The Sunnybrook resting symmetry score lies between 0 and 20."
Expression: "value.ofType(Quantity).value.all($this >= 0 and $this <= 20)"
Severity: #error

Invariant: fpcds-sb-3
Description: "The Sunnybrook voluntary movement score lies between 20 and 100."
Expression: "value.ofType(Quantity).value.all($this >= 20 and $this <= 100)"
Severity: #error

Invariant: fpcds-sb-4
Description: "The Sunnybrook synkinesis score lies between 0 and 15."
Expression: "value.ofType(Quantity).value.all($this >= 0 and $this <= 15)"
Severity: #error

Invariant: fpcds-asym-1
Description: "A smile-angle asymmetry is in degrees (deg); brow, commissure and palpebral fissure asymmetries are in millimetres (mm)."
Expression: "(code.coding.where(system = 'http://fpcds.example.org/fhir/CodeSystem/fpcds' and code = 'asymmetry-smile-angle').exists() implies value.ofType(Quantity).code = 'deg') and (code.coding.where(system = 'http://fpcds.example.org/fhir/CodeSystem/fpcds' and (code = 'asymmetry-brow' or code = 'asymmetry-commissure' or code = 'asymmetry-palpebral-fissure')).exists() implies value.ofType(Quantity).code = 'mm')"
Severity: #error

Invariant: fpcds-semg-1
Description: "An RMS ratio is dimensionless (1), a median frequency is in Hz and a high-frequency fraction is in percent (%) and at most 100."
Expression: "(code.coding.where(system = 'http://fpcds.example.org/fhir/CodeSystem/fpcds' and code = 'semg-rms-ratio').exists() implies value.ofType(Quantity).code = '1') and (code.coding.where(system = 'http://fpcds.example.org/fhir/CodeSystem/fpcds' and code = 'semg-median-frequency').exists() implies value.ofType(Quantity).code = 'Hz') and (code.coding.where(system = 'http://fpcds.example.org/fhir/CodeSystem/fpcds' and code = 'semg-hf-fraction').exists() implies (value.ofType(Quantity).code = '%' and value.ofType(Quantity).value <= 100))"
Severity: #error

Invariant: fpcds-semg-2
Description: "A per-side sEMG measure (median frequency, high-frequency fraction) names the body side in a component."
Expression: "code.coding.where(system = 'http://fpcds.example.org/fhir/CodeSystem/fpcds' and (code = 'semg-median-frequency' or code = 'semg-hf-fraction')).exists() implies component.where(code.coding.where(system = 'http://fpcds.example.org/fhir/CodeSystem/fpcds' and code = 'body-side').exists()).exists()"
Severity: #error

Invariant: fpcds-prog-1
Description: "The weeks-to-recovery quantiles are ordered: 10th percentile <= median <= 90th percentile."
Expression: "component.where(code.coding.code = 'weeks-to-recovery-q10').value.ofType(Quantity).value <= component.where(code.coding.code = 'weeks-to-recovery-q50').value.ofType(Quantity).value and component.where(code.coding.code = 'weeks-to-recovery-q50').value.ofType(Quantity).value <= component.where(code.coding.code = 'weeks-to-recovery-q90').value.ofType(Quantity).value"
Severity: #error

Invariant: fpcds-dr-1
Description: "A final report names the clinician who approved it (resultsInterpreter)."
Expression: "status = 'final' implies resultsInterpreter.exists()"
Severity: #error

Invariant: fpcds-cp-1
Description: "A suspected central palsy plan is an emergency pathway and never contains a rehabilitation activity (e.g. neuromuscular retraining)."
Expression: "category.coding.where(system = 'http://fpcds.example.org/fhir/CodeSystem/fpcds' and code = 'central-palsy-pathway').exists() implies activity.detail.code.coding.where(system = 'http://fpcds.example.org/fhir/CodeSystem/fpcds' and code = 'neuromuscular-retraining').empty()"
Severity: #error

Invariant: fpcds-cp-2
Description: "A suspected central palsy plan contains an urgent stroke work-up activity."
Expression: "category.coding.where(system = 'http://fpcds.example.org/fhir/CodeSystem/fpcds' and code = 'central-palsy-pathway').exists() implies activity.detail.code.coding.where(system = 'http://fpcds.example.org/fhir/CodeSystem/fpcds' and code = 'urgent-stroke-referral').exists()"
Severity: #error

Invariant: fpcds-cp-3
Description: "A plan proposed by the AI (intent proposal) stays a draft until a clinician approves it."
Expression: "intent = 'proposal' implies status = 'draft'"
Severity: #error

Invariant: fpcds-cp-4
Description: "An active plan is an approved plan: its intent is plan."
Expression: "status = 'active' implies intent = 'plan'"
Severity: #error

Invariant: fpcds-prov-1
Description: "The inputs the AI output was derived from are entities with role derivation."
Expression: "entity.where(role = 'derivation').exists()"
Severity: #error

Invariant: fpcds-doc-1
Description: "The document content is given inline (data) or by reference (url)."
Expression: "content.attachment.all(data.exists() or url.exists())"
Severity: #error

Invariant: fpcds-sha256
Description: "The identifier value is a SHA-256 digest: 64 lower-case hexadecimal digits."
Expression: "value.matches('^[0-9a-f]{64}$')"
Severity: #error
