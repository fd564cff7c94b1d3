"""Sign-up, confirmation, login, logout and passwords."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user

from portal.access import staff_required
from portal.auth.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    EmailChangeForm,
    ForgotForm,
    LoginForm,
    NameForm,
    RecoveryCodesForm,
    ResetForm,
    SecondStepForm,
    SignupForm,
    TwoStepOffForm,
    TwoStepSetupForm,
)
from portal.extensions import db, limiter
from portal.forms import EmptyForm, attach_error
from portal.models.base import utcnow
from portal.security import client_address
from portal.services import DomainError
from portal.services import accounts as accounts_service
from portal.services import api_tokens as api_tokens_service
from portal.services import mfa as mfa_service
from portal.services.mail import after_commit_delivery
from portal.urls import safe_next

bp = Blueprint("auth", __name__)


def home_for(user) -> str:
    if user.is_staff:
        return url_for("review.queue")
    return url_for("apply.list_applications")


def _login(user, remember: bool) -> None:
    # A new session at login: nothing from before it survives (no session fixation).
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    accounts_service.start_session(
        user, request.headers.get("User-Agent", ""), ip_address=client_address()
    )
    db.session.commit()
    login_user(user, remember=remember)


# --- throttling -------------------------------------------------------------------------------
# Per client address, and per account: credential stuffing comes from many addresses. The
# answer to a refused attempt is the same 429 page whether or not the account exists.


def _typed_email() -> str:
    return (request.form.get("email") or "").strip().lower()


def _account_key(kind: str):
    def key() -> str:
        return f"{kind}:{_typed_email()}"

    return key


def _throttled(action: str, per_account: bool):
    """An on_breach callback: note the refusal in the audit log (and, for an account being
    guessed at, tell its owner)."""

    def on_breach(limit: RequestLimit) -> None:
        accounts_service.note_throttled(action, _typed_email(), str(limit.limit), per_account)
        db.session.commit()
        after_commit_delivery()

    return on_breach


def _throttle(kind: str, action: str, per_client: str, per_account: str):
    """Two limits on a form's POSTs: per client address and per typed account."""
    by_client = limiter.limit(
        per_client, methods=["POST"], on_breach=_throttled(action, per_account=False)
    )
    by_account = limiter.limit(
        per_account,
        key_func=_account_key(kind),
        methods=["POST"],
        on_breach=_throttled(action, per_account=True),
    )
    return lambda view: by_client(by_account(view))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
# Each try for a known address mails its owner: a few an hour, from however many clients.
@limiter.limit("5/hour", key_func=_account_key("signup"), methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            email = accounts_service.sign_up(
                form.email.data,
                form.password.data,
                full_name=form.full_name.data,
                locale=session.get("lang"),
            )
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()
            # The same answer whether or not the address has an account (its owner is told
            # by e-mail), so nobody is signed in here: the new investor signs in next.
            flash(
                _(
                    "Check your e-mail: we sent a link to %(email)s to confirm the address. "
                    "Then sign in with your password.",
                    email=email,
                ),
                "info",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@_throttle("login", accounts_service.LOGIN_THROTTLED, per_client="10/minute", per_account="20/hour")
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts_service.authenticate(form.email.data, form.password.data)
        if user is None:
            db.session.commit()  # the failure's audit entry
            form.password.errors.append(_("The e-mail or the password is not right."))
        elif user.has_second_factor:
            # Not signed in yet: the code from the app comes first.
            db.session.commit()  # a rehashed password
            session[SECOND_STEP] = mfa_service.pending_sign_in(
                user, form.remember.data, safe_next(request.args.get("next"))
            )
            return redirect(url_for("auth.login_code"))
        else:
            _login(user, remember=form.remember.data)
            flash(_("You are signed in."), "success")
            return redirect(safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form)


# --- two-step sign-in: the code after the password -----------------------------------------

# The session key of a sign-in waiting for its code (services/mfa.py pending_sign_in).
SECOND_STEP = "second_step"


def _second_step_key() -> str:
    state = session.get(SECOND_STEP)
    return f"code:{state.get('uid') if isinstance(state, dict) else ''}"


def _code_refused(response) -> bool:
    return response.status_code != 302


def _codes_throttled(limit: RequestLimit) -> None:
    mfa_service.note_throttled(
        mfa_service.user_for_pending(session.get(SECOND_STEP)), str(limit.limit)
    )
    db.session.commit()


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"], deduct_when=_code_refused)
# Per account, whatever the address: 10 wrong codes an hour, each right by a chance of 3 in a
# million (the window holds 3 codes), leave a guesser 1 chance in 30,000 an hour.
@limiter.limit(
    "10/hour",
    key_func=_second_step_key,
    methods=["POST"],
    deduct_when=_code_refused,
    on_breach=_codes_throttled,
)
def login_code():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    state = session.get(SECOND_STEP)
    user = mfa_service.user_for_pending(state)
    if user is None:
        if state is not None:
            session.pop(SECOND_STEP, None)
            flash(_("The sign-in waited too long for the code. Enter your password again."), "info")
        return redirect(url_for("auth.login"))
    form = SecondStepForm()
    if form.validate_on_submit():
        try:
            mfa_service.complete_sign_in(user, form.code.data)
        except DomainError as exc:
            db.session.commit()  # the failure's audit entry
            attach_error(form, exc)
        else:
            _login(user, remember=state.get("remember", False))
            flash(_("You are signed in."), "success")
            return redirect(safe_next(state.get("next")) or home_for(user))
    return render_template("auth/login_code.html", form=form)


# Pages that a user whose role needs two-step sign-in may open before setting it up.
BEFORE_SECOND_FACTOR = {
    "static",
    "main.health",
    "main.set_language",
    "auth.logout",
    "auth.keepalive",
    "auth.session_status",
    "auth.two_step",
    "auth.two_step_start",
    "auth.two_step_setup",
}


@bp.before_app_request
def require_second_factor():
    """A user whose role needs two-step sign-in (MFA_REQUIRED_ROLES) and has not set it up
    reaches nothing but its set-up: the one place this is decided."""
    if (
        current_user.is_authenticated
        and not current_user.has_second_factor
        and mfa_service.required_for(current_user)
        and request.endpoint not in BEFORE_SECOND_FACTOR
    ):
        flash(_("Your role needs two-step sign-in: set it up to continue."), "info")
        return redirect(url_for("auth.two_step"))
    return None


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        accounts_service.sign_out(current_user)
        db.session.commit()
        logout_user()
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.post("/session/keepalive")
def keepalive():
    """ "Stay signed in" on the warning before the idle timeout: counts as activity (the
    session's lifetime still ends it)."""
    if not current_user.is_authenticated:
        return "", 401
    if not EmptyForm().validate_on_submit():
        return "", 400
    accounts_service.touch_session(current_user, force=True)
    db.session.commit()
    return "", 204


@bp.get("/session/status")
def session_status():
    """How long the session has left, for the page's warning (another tab may have used it);
    asking is not activity."""
    if not current_user.is_authenticated:
        return {"signed_in": False}, 401, {"Cache-Control": "no-store"}
    idle, lifetime = accounts_service.session_seconds_left(current_user)
    return (
        {"signed_in": True, "idle_ends_in": idle, "lifetime_ends_in": lifetime},
        200,
        {"Cache-Control": "no-store"},
    )


@bp.get("/confirm/<token>")
def confirm(token: str):
    try:
        accounts_service.confirm_email(token)
    except DomainError as exc:
        db.session.rollback()
        return render_template("auth/link_invalid.html", message=exc.message), 400
    db.session.commit()
    flash(_("Thank you: your e-mail address is confirmed."), "success")
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.post("/confirm/resend")
@login_required
@limiter.limit("5/hour")
def resend_confirmation():
    if EmptyForm().validate_on_submit() and not current_user.is_confirmed:
        accounts_service.send_confirmation(current_user)
        db.session.commit()
        after_commit_delivery()
        flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "info")
    return redirect(url_for("auth.account"))


@bp.route("/forgot", methods=["GET", "POST"])
@_throttle("forgot", accounts_service.RESET_THROTTLED, per_client="5/hour", per_account="5/hour")
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        accounts_service.request_password_reset(form.email.data)
        db.session.commit()
        # Mail leaves after the answer: how long the mail server takes must not tell a
        # stranger whether the address has an account.
        after_commit_delivery()
        # The same answer either way, so the form does not reveal who has an account.
        flash(
            _(
                "If an account exists for %(email)s, we sent it a link to choose a new password.",
                email=form.email.data,
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    try:
        accounts_service.user_for_reset_token(token)
    except DomainError as exc:
        return render_template("auth/link_invalid.html", message=exc.message), 400
    form = ResetForm()
    if form.validate_on_submit():
        try:
            accounts_service.reset_password(token, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(_("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.get("/account")
@login_required
def account():
    return _account_page()


def _account_page(token_form=None, new_token=None, status: int = 200):
    """The account page; for staff, their API tokens (a new one's secret shown this once)."""
    tokens = api_tokens_service.tokens_of(current_user) if current_user.is_staff else []
    return render_template(
        "auth/account.html",
        tokens=tokens,
        token_form=token_form or ApiTokenForm(prefix="token"),
        new_token=new_token,
        now=utcnow(),
    ), status


@bp.post("/account/api-tokens")
@staff_required
@limiter.limit("20/hour")
def create_api_token():
    """Shown once, on the answer to this POST (like recovery codes): never stored in clear."""
    form = ApiTokenForm(prefix="token")
    if form.validate_on_submit():
        try:
            made = api_tokens_service.create(current_user, form.name.data, form.days.data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Copy the token now: it is shown only this once."), "success")
            return _account_page(new_token=made, status=201)
    return _account_page(token_form=form, status=422)


@bp.post("/account/api-tokens/<int:token_id>/revoke")
@staff_required
def revoke_api_token(token_id: int):
    if EmptyForm().validate_on_submit():
        try:
            api_tokens_service.revoke(current_user, token_id)
        except DomainError:
            abort(404)
        db.session.commit()
        flash(_("The token is revoked: scripts using it are refused from now on."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/sign-out-elsewhere")
@login_required
def sign_out_elsewhere():
    """End every session of the user but this one (a lost phone, a shared computer)."""
    if EmptyForm().validate_on_submit():
        ended = accounts_service.sign_out_elsewhere(current_user)
        db.session.commit()
        flash(
            ngettext(
                "Signed out of %(num)d other session.",
                "Signed out of %(num)d other sessions.",
                ended,
            )
            if ended
            else _("You were not signed in anywhere else."),
            "success",
        )
    return redirect(url_for("auth.account"))


@bp.route("/account/details", methods=["GET", "POST"])
@login_required
@limiter.limit("20/hour", methods=["POST"])  # each e-mail change request sends a message
def account_details():
    """Change the name at once; change the e-mail address through a link sent to it."""
    name_form = NameForm(prefix="name", data={"full_name": current_user.full_name})
    email_form = EmailChangeForm(prefix="email")
    status = 200
    if request.method == "POST" and request.form.get("which") == "name":
        name_form = NameForm(prefix="name")
        if name_form.validate():
            accounts_service.set_full_name(current_user, name_form.full_name.data)
            db.session.commit()
            flash(_("Your name is saved."), "success")
            return redirect(url_for("auth.account"))
        status = 422
    elif request.method == "POST" and request.form.get("which") == "email":
        if email_form.validate():
            try:
                new_email = accounts_service.request_email_change(
                    current_user, email_form.new_email.data, email_form.current_password.data
                )
            except DomainError as exc:
                db.session.rollback()
                attach_error(email_form, exc)
                status = 422
            else:
                db.session.commit()
                after_commit_delivery()
                flash(
                    _(
                        "We sent a link to %(email)s. Your address changes when you open it.",
                        email=new_email,
                    ),
                    "info",
                )
                return redirect(url_for("auth.account"))
        else:
            status = 422
    elif request.method == "POST":
        status = 400
    return render_template("auth/details.html", name_form=name_form, email_form=email_form), status


@bp.get("/account/email/<token>")
def confirm_email_change(token: str):
    try:
        user, _old = accounts_service.change_email(token)
    except DomainError as exc:
        db.session.rollback()
        return render_template("auth/link_invalid.html", message=exc.message), 400
    db.session.commit()
    after_commit_delivery()
    flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts_service.change_password(
                current_user, form.current_password.data, form.password.data
            )
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your password is changed. Your other sessions were signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


# --- two-step sign-in: set up, recovery codes, turn off ------------------------------------


def _recovery_codes_page(codes: list[str]):
    """Shown once, in the answer to the POST that made them: they are stored only hashed, so
    no later page could show them again (and the browser is asked not to keep this one)."""
    return (
        render_template("auth/recovery_codes.html", codes=codes),
        200,
        {"Cache-Control": "no-store"},
    )


def _two_step_page(off_form=None, codes_form=None, status: int = 200):
    return render_template(
        "auth/two_step.html",
        off_form=off_form or TwoStepOffForm(prefix="off"),
        codes_form=codes_form or RecoveryCodesForm(prefix="codes"),
        codes_left=mfa_service.recovery_codes_left(current_user),
        required=mfa_service.required_for(current_user),
    ), status


@bp.get("/account/two-step")
@login_required
def two_step():
    return _two_step_page()


@bp.post("/account/two-step/start")
@login_required
def two_step_start():
    if EmptyForm().validate_on_submit():
        try:
            mfa_service.start_enrollment(current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("auth.two_step"))
        db.session.commit()
        return redirect(url_for("auth.two_step_setup"))
    return redirect(url_for("auth.two_step"))


@bp.route("/account/two-step/setup", methods=["GET", "POST"])
@login_required
@limiter.limit("10/minute", methods=["POST"])
def two_step_setup():
    secret = mfa_service.enrollment_secret(current_user)
    if secret is None:
        return redirect(url_for("auth.two_step"))
    form = TwoStepSetupForm()
    if form.validate_on_submit():
        try:
            codes = mfa_service.confirm_enrollment(
                current_user, form.current_password.data, form.code.data
            )
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Two-step sign-in is on."), "success")
            return _recovery_codes_page(codes)
    uri = mfa_service.provisioning_uri(current_user, secret)
    return render_template(
        "auth/two_step_setup.html",
        form=form,
        qr_code=mfa_service.qr_code(uri),
        secret=mfa_service.grouped(secret),
    )


@bp.post("/account/two-step/recovery-codes")
@login_required
@limiter.limit("10/hour")
def two_step_recovery_codes():
    form = RecoveryCodesForm(prefix="codes")
    if form.validate_on_submit():
        try:
            codes = mfa_service.regenerate_recovery_codes(current_user, form.code.data)
        except DomainError as exc:
            db.session.commit()  # the failure's audit entry
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your new recovery codes are below; the old ones no longer work."), "success")
            return _recovery_codes_page(codes)
    return _two_step_page(codes_form=form, status=422)


@bp.post("/account/two-step/off")
@login_required
@limiter.limit("10/hour")
def two_step_off():
    form = TwoStepOffForm(prefix="off")
    if form.validate_on_submit():
        try:
            mfa_service.disable(current_user, form.current_password.data, form.code.data)
        except DomainError as exc:
            db.session.commit()  # a failed code's audit entry (nothing else has changed)
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Two-step sign-in is off."), "success")
            return redirect(url_for("auth.two_step"))
    return _two_step_page(off_form=form, status=422)
