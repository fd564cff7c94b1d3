"""Who may reach what: role decorators and loaders that answer 403/404 in one place."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from portal import lifecycle
from portal.extensions import db
from portal.models import ADMIN, INVESTOR, STAFF_ROLES, Application, Document


def roles_required(*roles: str):
    """Logged in, and one of `roles` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


investor_required = roles_required(INVESTOR)
staff_required = roles_required(*STAFF_ROLES)
admin_required = roles_required(ADMIN)


def company_status_required(view):
    """Signed in as someone who may change companies' status: an admin, or a reviewer an admin
    gave the right to (403 otherwise)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.changes_company_status:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def can_view(application: Application, user) -> bool:
    if application.owner_id == user.id:
        return True
    # Reviewers see what was submitted, never an investor's private draft.
    return user.is_staff and application.submitted_at is not None


def get_application(application_id: int, *, edit: bool = False) -> Application:
    """The application if the current user may see it (404 otherwise, so ids reveal nothing).

    With `edit`, only its owner, and only while it is editable.
    """
    application = db.session.get(Application, application_id)
    if application is None or not can_view(application, current_user):
        abort(404)
    if edit and (application.owner_id != current_user.id or not lifecycle.is_editable(application)):
        abort(403)
    return application


def get_document(document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None or not can_view(document.application, current_user):
        abort(404)
    return document
