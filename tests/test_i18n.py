"""The Russian, Kazakh and Chinese catalogs are complete, keep their placeholders, and show.

The pages need compiled catalogs (.mo). `make translations` builds them before the tests; so
that `pytest` alone works too, this module compiles any that is missing or older than its .po.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LANGUAGES = ("ru", "kk", "zh")

# A Python %-format conversion (%(name)s, %(n)d, %s, %%...), or a lone "%" (as in "Share, %"
# from Python code, which is never %-formatted there).
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrs%]|%")


def _po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def _read(path: Path, lang: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def compile_catalogs() -> None:
    """Write each .mo that is missing or older than its .po (atomically: tests may run in
    parallel). Fuzzy entries are left out, as `pybabel compile` does."""
    for lang in LANGUAGES:
        po = _po_path(lang)
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalog = _read(po, lang)
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                write_mo(f, catalog)
            os.replace(tmp, mo)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# At import, i.e. while pytest collects, before any test of any module renders a page.
compile_catalogs()


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module", params=LANGUAGES)
def catalog(request):
    return _read(_po_path(request.param), request.param)


def forms(value) -> tuple[str, ...]:
    """The forms of a msgid or msgstr: one string, or a tuple for plural messages."""
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def test_every_message_is_translated_and_none_is_fuzzy(catalog):
    untranslated = [m.id for m in catalog if m.id and not all(forms(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"{catalog.locale}: untranslated"
    assert fuzzy == [], f"{catalog.locale}: fuzzy"
    assert not catalog.fuzzy, f"{catalog.locale}: the catalog header is marked fuzzy"


def test_translations_keep_the_placeholders_of_the_english(catalog):
    # Every form keeps the English placeholders (a plural's forms: those of its plural msgid,
    # though a singular form may leave out the number).
    wrong = [
        (m.id, m.string)
        for m in catalog
        if m.id
        and all(forms(m.string))
        and (
            placeholders(forms(m.string)[-1]) != placeholders(forms(m.id)[-1])
            or any(
                not set(placeholders(form)) <= set(placeholders(forms(m.id)[-1]))
                for form in forms(m.string)
            )
        )
    ]
    assert wrong == [], f"{catalog.locale}: placeholders differ"
    # Babel's own checks: python-format strings format with the msgid's arguments.
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == [], f"{catalog.locale}: {problems}"


def test_catalogs_hold_exactly_the_messages_of_the_template():
    """After `make i18n-extract` every catalog holds the template's messages, no more, no less."""
    template = {m.id for m in _read(TRANSLATIONS / "messages.pot") if m.id}
    for lang in LANGUAGES:
        ids = {m.id for m in _read(_po_path(lang), lang) if m.id}
        assert ids == template, f"{lang}: run `make i18n-extract`"


def test_compiled_catalogs_are_up_to_date():
    for lang in LANGUAGES:
        po = _po_path(lang)
        mo = po.with_suffix(".mo")
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, lang


PAGES = {
    # language: (what the sign-in page shows, what the navigation shows)
    "ru": ("Войти", "Зоны и отрасли", "Создать учётную запись"),
    "kk": ("Кіру", "Аймақтар мен салалар", "Тіркелгі жасау"),
    "zh": ("登录", "区域与行业", "创建账户"),
}


@pytest.mark.parametrize("lang", sorted(PAGES))
def test_a_page_shows_in_the_chosen_language(client, lang):
    response = client.post("/language", data={"code": lang, "next": "/login"})
    assert response.status_code == 302
    html = client.get("/login").get_data(as_text=True)
    heading, nav, signup = PAGES[lang]
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert nav in html
    assert signup in html
    assert "Zones and sectors" not in html
    assert "Forgot your password?" not in html


def test_english_stays_english(client):
    client.post("/language", data={"code": "en"})
    html = client.get("/login").get_data(as_text=True)
    assert "<h1>Sign in</h1>" in html
    assert "Zones and sectors" in html


@pytest.mark.parametrize(
    ("lang", "greeting", "body"),
    [
        ("ru", "Здравствуйте, Анна!", "перейдя по этой ссылке"),
        ("kk", "Сәлеметсіз бе, Анна!", "сілтемені ашып растаңыз"),
        ("zh", "Анна，您好：", "请打开以下链接"),
    ],
)
def test_the_confirmation_email_is_in_the_language_of_the_page(
    client, outbox, lang, greeting, body
):
    client.post("/language", data={"code": lang})
    client.post(
        "/signup",
        data={
            "full_name": "Анна",
            "email": f"anna-{lang}@example.com",
            "password": "one long phrase here",
            "password_confirm": "one long phrase here",
        },
    )
    (message,) = outbox.messages()
    text = message.get_body(("plain",)).get_content()
    assert greeting in text
    assert body in text
    assert "Khorgos Gateway" in message["Subject"]
    assert "Confirm your e-mail" not in message["Subject"]


def test_the_catalog_template_holds_every_string_of_the_code():
    """A string added to the code without `make i18n-extract` would never be translated."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    root = TRANSLATIONS.parent
    method_map = [
        ("portal/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    template = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in _read(TRANSLATIONS / "messages.pot")
        if m.id
    }
    assert sorted(found - template) == [], "run `make i18n-extract`, then translate"


def test_a_malformed_e_mail_address_is_explained_in_the_page_language(client):
    client.post("/language", data={"code": "kk"})
    response = client.post(
        "/signup",
        data={
            "full_name": "Анна",
            "email": "anna.example.com",
            "password": "one long phrase here",
            "password_confirm": "one long phrase here",
        },
    )
    page = response.get_data(as_text=True)
    assert "Дұрыс электрондық пошта мекенжайын енгізіңіз." in page
    assert "@-sign" not in page
    assert 'value="anna.example.com"' in page
