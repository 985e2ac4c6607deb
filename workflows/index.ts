// The workflows the orchestrator worker serves.
export { migrationWorkflow } from './migration';
