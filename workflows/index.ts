export { leadConversationWorkflow } from './lead-conversation/workflow';
export { dailyDigestWorkflow, retentionCleanupWorkflow } from './maintenance/workflows';
export { paymentWorkflow } from './payment/workflow';
