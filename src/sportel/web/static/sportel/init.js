// Starts GOV.UK Frontend's components. A file, not an inline script: the CSP forbids those.
// Browsers that run modules are the ones GOV.UK Frontend supports, so the classes that switch
// on its JavaScript-only styles are set here rather than in an inline <script> in <body>.
import { initAll } from "../vendor/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
