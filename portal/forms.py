"""Form pieces shared by the blueprints."""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """CSRF protection for a bare button that POSTs."""
