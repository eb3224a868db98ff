"""The project's config: the model (``model``), its reading (``fields``, ``loader``).

Cheap to import on purpose: nothing here loads the plugins, the trackers or the agent SDK.
"""

from __future__ import annotations

from .limits import BudgetConfig, ErrorRecoveryConfig
from .loader import load_config
from .model import (
    DEFAULT_DENY_READ,
    DEFAULT_TOOLS,
    EVIDENCE_KINDS,
    KNOWN_TOOLS,
    PERMISSION_MODES,
    BashConfig,
    Condition,
    Config,
    ExtraValidator,
    GitConfig,
    GitPolicyConfig,
    InitFile,
    McpRestriction,
    McpServer,
    Phase,
    SandboxConfig,
    SecurityConfig,
    ToolsConfig,
    TrackingConfig,
    key_help,
)

__all__ = [
    "DEFAULT_DENY_READ",
    "DEFAULT_TOOLS",
    "EVIDENCE_KINDS",
    "KNOWN_TOOLS",
    "PERMISSION_MODES",
    "BashConfig",
    "BudgetConfig",
    "Condition",
    "Config",
    "ErrorRecoveryConfig",
    "ExtraValidator",
    "GitConfig",
    "GitPolicyConfig",
    "InitFile",
    "McpRestriction",
    "McpServer",
    "Phase",
    "SandboxConfig",
    "SecurityConfig",
    "ToolsConfig",
    "TrackingConfig",
    "key_help",
    "load_config",
]
