"""Sign-up, confirmation, login, logout and passwords."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth.forms import (
    ChangePasswordForm,
    EmailChangeForm,
    ForgotForm,
    LoginForm,
    NameForm,
    ResetForm,
    SignupForm,
)
from portal.extensions import db, limiter
from portal.forms import EmptyForm, attach_error
from portal.services import DomainError
from portal.services import accounts as accounts_service
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
    accounts_service.start_session(user, request.headers.get("User-Agent", ""))
    db.session.commit()
    login_user(user, remember=remember)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = accounts_service.create_user(
                form.email.data,
                form.password.data,
                full_name=form.full_name.data,
                locale=session.get("lang"),
            )
            accounts_service.send_confirmation(user)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            _login(user, remember=False)
            after_commit_delivery()
            flash(
                _("Welcome! We sent a confirmation link to %(email)s.", email=user.email),
                "success",
            )
            return redirect(url_for("apply.list_applications"))
    return render_template("auth/signup.html", form=form)


def _login_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
@limiter.limit("20/hour", key_func=_login_key, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts_service.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The e-mail or the password is not right."))
        else:
            _login(user, remember=form.remember.data)
            flash(_("You are signed in."), "success")
            return redirect(safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        accounts_service.end_session(current_user.current_session_token)
        db.session.commit()
        logout_user()
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


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
@limiter.limit("5/hour", methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        user = accounts_service.find_user_by_email(form.email.data)
        if user is not None and user.active:
            accounts_service.send_reset(user)
            db.session.commit()
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
    return render_template("auth/account.html")


@bp.post("/account/sign-out-elsewhere")
@login_required
def sign_out_elsewhere():
    """End every session of the user but this one (a lost phone, a shared computer)."""
    if EmptyForm().validate_on_submit():
        ended = accounts_service.end_all_sessions(
            current_user, except_token=current_user.current_session_token
        )
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
