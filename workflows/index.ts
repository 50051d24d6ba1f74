export { leadConversationWorkflow } from './lead-conversation/workflow';
