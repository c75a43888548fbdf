// prom-client requires @opentelemetry/api only for exemplars, which Otto never turns
// on: this stand-in keeps 51 modules out of every start (see scripts/bundle.mjs).
'use strict';
module.exports = {
  trace: { getSpan: () => undefined },
  context: { active: () => undefined },
};
