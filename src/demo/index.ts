export { runWorkload, type WorkloadOptions, type WorkloadProgress } from './DemoWorkload.js';
export { countPrimesBelow, DemoIncident, demoServices } from './demoServices.js';
export { type DemoSummaryInput, demoSummary, wrap } from './demoSummary.js';
export { openInBrowser } from './openInBrowser.js';
export { type DemoOptions, type DemoReport, incidentWindow, runDemo } from './runDemo.js';
