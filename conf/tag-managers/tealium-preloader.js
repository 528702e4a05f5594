/*
 * Tealium iQ: ngx_consent_module's decision as data layer values.
 *
 * Add as a JavaScript Code extension, scope "Pre Loader" (it runs before load
 * rules are evaluated), and define the data layer variables consent_allowed,
 * consent_categories and consent_generation (type "UDO Variable"). Then give
 * each vendor tag a load rule on the value, e.g. for Meta's pixel:
 *     consent_allowed  contains  ,meta,
 * Without the gate's decision (consent_expose off, or a page it does not
 * gate) the values are "," and no such rule matches: nothing fires.
 */
(function (decision, data) {
  function list(items) {
    return ',' + (items || []).join(',') + (items && items.length ? ',' : '');
  }
  data.consent_allowed = list(decision && decision.allowed);
  data.consent_categories = list(decision && decision.categories);
  data.consent_generation = decision ? decision.generation : '';
})(window.consentDecision, window.utag_data = window.utag_data || {});
