import structlog
from celery import shared_task

from accounts.services import prune_expired_tokens
from core.taskbase import FleetTask

logger = structlog.get_logger(__name__)


@shared_task(base=FleetTask, name="accounts.tasks.prune_tokens")
def prune_tokens() -> dict:
    deleted = prune_expired_tokens()
    logger.info("prune_tokens_finished", deleted=deleted)
    return {"refresh_tokens_deleted": deleted}
