export { runWorkload, type WorkloadOptions, type WorkloadProgress } from './DemoWorkload.js';
export { countPrimesBelow, DemoIncident, demoServices } from './demoServices.js';
export { type DemoOptions, type DemoReport, runDemo } from './runDemo.js';
