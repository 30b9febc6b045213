export { type Plan, type PlanSpec, resolvePlan, droppedLayers } from './plan.js';
export { ADAPTER_INITS, type AdapterInit, initAdapter } from './adapter-init.js';
export { retrofit, type RetrofitOptions, type Retrofitted } from './retrofit.js';
export { surgeryReport, type SurgeryReport } from './report.js';
export { saveModelFolder, saveRetrofitted, type SaveOptions, type SaveFormat, type RecurrenceProvenance } from './save.js';
