"""The wizard's steps, one module each."""

from sovtui.ui.wizard.steps.agent import AgentStep
from sovtui.ui.wizard.steps.base import Step
from sovtui.ui.wizard.steps.done import DoneStep
from sovtui.ui.wizard.steps.identity import IdentityStep
from sovtui.ui.wizard.steps.inference import InferenceStep
from sovtui.ui.wizard.steps.wallet import WalletStep
from sovtui.ui.wizard.steps.welcome import WelcomeStep

__all__ = ["AgentStep", "DoneStep", "IdentityStep", "InferenceStep", "Step", "WalletStep", "WelcomeStep"]
