export { leadConversationWorkflow } from './lead-conversation/workflow';
export { dailyDigestWorkflow, retentionCleanupWorkflow } from './maintenance/workflows';
export { managerHandoffWorkflow } from './manager-handoff/workflow';
export { paymentWorkflow } from './payment/workflow';
export { paymentAfterCloseWorkflow } from './payment/after-close';
export { unmatchedPaymentWorkflow } from './payment/unmatched';
export { broadcastCampaignWorkflow } from './broadcast-campaign/workflow';
export { dialogMirrorWorkflow } from './dialog-mirror/workflow';
