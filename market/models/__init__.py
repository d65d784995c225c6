"""SQLAlchemy 2.0 typed models, split by meaning; import them from here."""

from market.models.auctions import *  # noqa: F403
from market.models.base import Base, UTCDateTime, utcnow
from market.models.cases import DisposalCase, FirstRefusalHolder, case_asset
from market.models.channels import *  # noqa: F403
from market.models.confirmations import *  # noqa: F403
from market.models.core import (
    PPM,
    ApiToken,
    AuditEvent,
    Enterprise,
    IdempotencyRecord,
    Institution,
    IPAsset,
    IPKind,
    LegalStatus,
    Loan,
    LoanStatus,
    LoginSession,
    Pledge,
    ThrottleCounter,
    User,
    pledge_asset,
)
from market.models.data_room import *  # noqa: F403
from market.models.documents import *  # noqa: F403
from market.models.mail import *  # noqa: F403
from market.models.notices import *  # noqa: F403
from market.models.qualification import *  # noqa: F403
from market.models.registry import *  # noqa: F403
from market.models.sandbox import *  # noqa: F403
from market.models.settlement import *  # noqa: F403
from market.models.webhooks import *  # noqa: F403

__all__ = [
    "PPM", "ApiToken", "AuditEvent", "Base", "DisposalCase", "Enterprise", "FirstRefusalHolder", "IdempotencyRecord",
    "IPAsset", "IPKind", "Institution", "LegalStatus", "Loan", "LoanStatus", "LoginSession", "ThrottleCounter",
    "Pledge", "User", "UTCDateTime", "case_asset", "pledge_asset", "utcnow",
]
