// The workflows the orchestrator worker serves.
export { migrationWorkflow } from './migration';
export { hostGateWorkflow } from './host-gate';
export { rebalanceWorkflow } from './rebalance';
