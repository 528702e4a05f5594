/*
 * Adobe Experience Platform Launch (Tags): a rule condition on
 * ngx_consent_module's decision.
 *
 * In the rule that fires a vendor's tag, add a condition of type
 * Core > Custom Code with this code, and set RECIPIENT to the recipient id
 * of the rules (meta, criteo, pinterest, ...). The rule's event can be
 * Core > Library Loaded (Page Top): consent_expose injects the decision
 * right after <head>, before the Launch library loads. Without the gate's
 * decision the condition is false: nothing fires.
 */
var RECIPIENT = 'meta';
var decision = window.consentDecision;
return !!(decision && decision.allowed && decision.allowed.indexOf(RECIPIENT) !== -1);
