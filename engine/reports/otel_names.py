"""Every OpenTelemetry name the OTLP export writes, in one place: the GenAI semantic
conventions are still experimental, so renames happen here only.
See https://opentelemetry.io/docs/specs/semconv/gen-ai/ (gen-ai-spans, gen-ai-events)."""

from __future__ import annotations

# -- resource and scope --------------------------------------------------------------------
SERVICE_NAME = "service.name"
SERVICE_VERSION = "service.version"
SCOPE_NAME = "interlock.reports"

# -- GenAI semantic conventions (experimental) ----------------------------------------------
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_SYSTEM = "gen_ai.system"
"""The older name of gen_ai.provider.name; written too for backends that still read it."""
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
ERROR_TYPE = "error.type"

OP_CHAT = "chat"
OP_EXECUTE_TOOL = "execute_tool"
OP_INVOKE_AGENT = "invoke_agent"
OP_INVOKE_WORKFLOW = "invoke_workflow"

# -- Interlock's own attributes --------------------------------------------------------------
RUN_ID = "interlock.run.id"
RUN_STATUS = "interlock.run.status"
WORKFLOW_NAME = "interlock.workflow.name"
WORKFLOW_HASH = "interlock.workflow.hash"
NODE_ID = "interlock.node.id"
NODE_KIND = "interlock.node.kind"
ATTEMPT = "interlock.node.attempt"
STATUS = "interlock.status"
COST_USD = "interlock.cost_usd"
REMOTE = "interlock.model.remote"
CALL_OUTCOME = "interlock.model.outcome"
ROUTING_PHASE = "interlock.routing.phase"
ROUTING_CHOSEN = "interlock.routing.chosen"
ROUTING_REASON = "interlock.routing.reason"
ROUTING_TRIGGER = "interlock.routing.trigger"
RETRY_DELAY_S = "interlock.retry.delay_s"
APPROVAL_ID = "interlock.approval.request_id"
APPROVAL_DECISION = "interlock.approval.decision"
APPROVAL_DECIDER = "interlock.approval.decider"
APPROVAL_STATUS = "interlock.approval.status"
TOOL_STATUS = "interlock.tool.status"
AUDIT_HEAD = "interlock.audit.head"

# -- span event names ------------------------------------------------------------------------
EVENT_RETRY = "interlock.retry"
EVENT_ROUTING = "interlock.routing_decision"
EVENT_APPROVAL_REQUESTED = "interlock.approval.requested"
EVENT_APPROVAL_DECIDED = "interlock.approval.decided"
EVENT_CACHE_HIT = "interlock.cache_hit"
