"""The production setup as documented, run for real: Debian's nginx with the shipped template
(``deploy/nginx/ruralaction.conf.template``) in front of two ``streamlit run`` instances that
share one PostgreSQL, one data directory and one ``server.cookieSecret``, over HTTPS with a
self-signed certificate made here.

- HTTPS answers and is verified against that certificate; plain HTTP is redirected to it;
- sticky sessions: a browser's route cookie keeps every request on one instance, and both
  instances serve (nginx's access log says which instance answered each request);
- a concern sent through one instance and an action added through the other each appear
  through the other one (headless Chromium, one browser context per instance).

Needs ``/usr/sbin/nginx`` (Debian package ``nginx``; ``.ci/run`` installs it), Chromium and the
test PostgreSQL: skipped with the reason on a laptop without them, a failure under ``CI=true``.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from string import Template

import pytest
import sqlalchemy as sa
from conftest import _in_ci
from test_e2e_actions import sign_in as sign_in_on_the_sign_in_page
from test_e2e_browser import (  # noqa: F401  (fixtures used by pytest-playwright)
    APP_IDLE,
    ARTIFACTS,
    ROOT,
    browser_type_launch_args,
    free_port,
    serve,
)
from tiny_county import write_tiny_county

pytestmark = pytest.mark.browser

NGINX = Path("/usr/sbin/nginx")
TEMPLATE = ROOT / "deploy" / "nginx" / "ruralaction.conf.template"
ADMIN, EDITOR, PASSWORD = "admin@pcc.example", "pc@police.example", "correct horse battery staple"


def _need(path: Path, package: str) -> None:
    if path.is_file():
        return
    reason = f"{path} is missing (Debian package '{package}')"
    if _in_ci():
        pytest.fail(f"Cannot run under CI=true: {reason}.", pytrace=False)
    pytest.skip(reason)


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def nginx_conf(folder: Path, ports: list[int], https: int, http: int, cert: Path, key: Path) -> Path:
    """The shipped template rendered as envsubst would, inside a minimal main config that keeps
    every file nginx writes in ``folder`` and logs which instance answered each request."""
    site = Template(TEMPLATE.read_text("utf-8")).safe_substitute(
        RA_UPSTREAMS=" ".join(f"server 127.0.0.1:{p};" for p in ports),
        RA_HTTP_PORT=str(http),
        RA_HTTPS_PORT=str(https),
        RA_SERVER_NAME="localhost",
        RA_CERT=str(cert),
        RA_KEY=str(key),
    )
    assert "${RA_" not in site
    (folder / "ruralaction.conf").write_text(site, "utf-8")
    main = folder / "nginx.conf"
    main.write_text(
        f"""worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format routes '$ra_route $upstream_addr $status "$request"';
    access_log {folder}/access.log routes;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/ruralaction.conf;
}}
""",
        "utf-8",
    )
    return main


@contextlib.contextmanager
def nginx(conf: Path, url: str, context: ssl.SSLContext):
    check = subprocess.run(
        [str(NGINX), "-t", "-p", str(conf.parent), "-c", str(conf)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(
        [str(NGINX), "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", context=context, timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except (OSError, urllib.error.URLError) as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    why = proc.stderr.read().decode(errors="replace") if proc.poll() is not None else exc
                    raise AssertionError(f"nginx did not come up: {why}") from None
                time.sleep(0.2)  # polling nginx's start, not waiting for a page
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def stack(postgres_url, tmp_path_factory):
    """nginx (HTTPS) -> two app instances -> one PostgreSQL schema and one data directory."""
    _need(NGINX, "nginx")
    from ruralaction.actions import Actor, add_user, open_database

    schema = f"deploy_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db_url = (
        sa.engine.make_url(postgres_url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    data = tmp_path_factory.mktemp("deploy_data")
    write_tiny_county(data / "ours")
    engine = open_database(db_url)
    add_user(engine, Actor.system_actor("tests"), ADMIN, "admin", password=PASSWORD, name="Ada Admin")
    add_user(engine, Actor.system_actor("tests"), EDITOR, "editor", "Police", password=PASSWORD, name="PC Jones")
    engine.dispose()

    tls = tmp_path_factory.mktemp("deploy_tls")
    cert, key = self_signed(tls)
    context = ssl.create_default_context(cafile=str(cert))
    env = {
        "RURALACTION_DATA_DIR": str(data),
        "RURALACTION_DB_URL": db_url,
        "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32),
    }
    logs = tmp_path_factory.mktemp("deploy_logs")
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(serve(logs / f"instance{i}.log", **env)) for i in (1, 2)]
        ports = [int(u.rsplit(":", 1)[1]) for u in urls]
        https, http = free_port(), free_port()
        conf = nginx_conf(tmp_path_factory.mktemp("deploy_nginx"), ports, https, http, cert, key)
        url = f"https://localhost:{https}"
        stack.enter_context(nginx(conf, url, context))
        yield {"url": url, "http": http, "ports": ports, "access_log": conf.parent / "access.log", "tls": context}
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _get(url: str, context: ssl.SSLContext, cookie: str | None = None):
    req = urllib.request.Request(url, headers={"Cookie": f"ra_route={cookie}"} if cookie else {})
    with urllib.request.urlopen(req, context=context, timeout=10) as r:
        return r.status, r.headers.get_all("Set-Cookie") or []


def _served_by(log: Path, route: str) -> set[str]:
    """The instances (host:port) that answered the requests carrying ``route``."""
    lines = log.read_text().splitlines() if log.exists() else []
    return {line.split()[1] for line in lines if line.split()[0] == route}


def route_to(stack: dict, port: int) -> str:
    """A route cookie value nginx sends to the instance on ``port``."""
    for i in range(200):
        route = f"probe{i}"
        _get(f"{stack['url']}/_stcore/health", stack["tls"], route)
        time.sleep(0.05)  # nginx writes its access log line after the response
        if _served_by(stack["access_log"], route) == {f"127.0.0.1:{port}"}:
            return route
    raise AssertionError(f"no route cookie reaches port {port}")


def test_https_redirect_and_sticky_sessions(stack):
    status, cookies = _get(f"{stack['url']}/_stcore/health", stack["tls"])
    assert status == 200
    ours = next(c for c in cookies if c.startswith("ra_route="))
    route = re.match(r"ra_route=([^;]+)", ours).group(1)
    assert all(flag in ours for flag in ("Secure", "HttpOnly", "SameSite=Lax")), ours
    for _ in range(6):
        _get(f"{stack['url']}/_stcore/health", stack["tls"], route)
    time.sleep(0.2)
    assert len(_served_by(stack["access_log"], route)) == 1, "every request of one browser reaches one instance"
    # both instances serve: some route reaches each
    assert route_to(stack, stack["ports"][0]) != route_to(stack, stack["ports"][1])
    # plain HTTP is sent to HTTPS
    req = urllib.request.Request(f"http://localhost:{stack['http']}/local-area?ward=W1")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as moved:
        urllib.request.build_opener(NoRedirect).open(req, timeout=10)
    assert moved.value.code == 301
    assert moved.value.headers["Location"] == f"{stack['url']}/local-area?ward=W1"


def _browser_on(browser, stack: dict, port: int):
    """A browser context whose route cookie sends it to the instance on ``port`` (and its route)."""
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1440, "height": 1000})
    route = route_to(stack, port)
    context.add_cookies([{"name": "ra_route", "value": route, "url": stack["url"]}])
    return context, route


def idle(page) -> None:
    page.locator(APP_IDLE).wait_for(timeout=60_000)


@pytest.fixture(autouse=True)
def patient_expect():
    """Two app servers, nginx and Chromium share two cores here: give each check 20 s."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


def sign_in(page, url: str, email: str) -> None:
    """Through the sign-in page (/account/sign-in, behind the proxy like every page), as a partner would."""
    sign_in_on_the_sign_in_page(page, url, email, PASSWORD)


def test_a_concern_and_an_action_made_through_one_instance_appear_in_the_other(stack, browser):
    from playwright.sync_api import expect

    (one, r1), (two, r2), (three, r3) = (_browser_on(browser, stack, p) for p in (*stack["ports"], stack["ports"][1]))
    resident, partner, admin = one.new_page(), two.new_page(), three.new_page()
    title = f"Gate checks on Back Lane {uuid.uuid4().hex[:6]}"
    try:
        # A resident sends a concern through instance one.
        resident.goto(f"{stack['url']}/get-involved")
        idle(resident)
        main = resident.get_by_test_id("stMain")
        main.get_by_label("Your name *").fill("Sam Farmer")
        main.get_by_label("Email").fill("sam@example.org")
        main.get_by_label("…or type your village, town or postcode").fill("brixworth village")
        main.get_by_label("…or type your village, town or postcode").press("Enter")
        expect(main.get_by_text("'brixworth village' is in Brixworth.")).to_be_visible()
        idle(resident)
        category = main.get_by_test_id("stSelectbox").filter(has_text="What is it about?")
        # mid-screen, so its list opens in view (the safe-reporting notice above the form pushes it down)
        category.evaluate("e => e.scrollIntoView({block: 'center'})")
        category.get_by_role("combobox").fill("Fly")
        resident.keyboard.press("Enter")
        main.get_by_role("textbox", name="What is happening? *").fill("Rubbish dumped in the field gateway.")
        main.get_by_test_id("stCheckbox").filter(has_text="I agree").locator("label").click()
        main.get_by_role("button", name="Send concern").click()
        idle(resident)
        success = main.get_by_test_id("stAlertContentSuccess")
        expect(success).to_contain_text(re.compile(r"Your reference is RA-\d{4}-\d{6}"))
        reference = re.search(r"RA-\d{4}-\d{6}", success.inner_text()).group(0)

        # A partner adds an action through instance two...
        partner.goto(f"{stack['url']}/action-tracker")
        idle(partner)
        sign_in(partner, stack["url"], EDITOR)
        pmain = partner.get_by_test_id("stMain")
        pmain.get_by_label("What was done").fill(title)
        wards = pmain.get_by_test_id("stMultiSelect").filter(has_text="Ward(s)")
        wards.get_by_role("combobox").fill("Brix")
        partner.keyboard.press("Enter")
        partner.keyboard.press("Escape")
        pmain.get_by_role("button", name="Add action").click()
        expect(pmain.get_by_test_id("stAlertContentSuccess")).to_contain_text(title)
        idle(partner)

        # ...and the resident, still on instance one, sees it on the Actions page.
        resident.goto(f"{stack['url']}/action-tracker")
        idle(resident)
        grid = resident.get_by_test_id("stMain").get_by_test_id("stDataFrame").first
        expect(grid.get_by_test_id("glide-cell-2-0")).to_have_text(title)  # columns: #, date, action, …

        # An admin on instance two finds the resident's concern in the review queue.
        admin.goto(f"{stack['url']}/action-tracker")
        idle(admin)
        sign_in(admin, stack["url"], ADMIN)
        admin.get_by_test_id("stSidebarNav").get_by_role("link", name="Get involved").click()
        idle(admin)
        admin.get_by_test_id("stMain").get_by_role("tab", name="Review concerns").click()
        queue = admin.get_by_test_id("stMain").get_by_test_id("stDataFrame").last
        expect(queue.get_by_test_id("glide-cell-0-0")).to_have_text(reference)
        ARTIFACTS.mkdir(exist_ok=True)
        admin.screenshot(path=str(ARTIFACTS / "deploy_admin_queue_on_instance_two.png"))
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        for name, pg in (("resident", resident), ("partner", partner), ("admin", admin)):
            pg.screenshot(path=str(ARTIFACTS / f"deploy_failed_{name}.png"), full_page=True)
        raise
    finally:
        for context in (one, two, three):
            context.close()
    one_port, two_port = (f"127.0.0.1:{p}" for p in stack["ports"])
    assert _served_by(stack["access_log"], r1) == {one_port}, "the resident stayed on instance one"
    assert _served_by(stack["access_log"], r2) == _served_by(stack["access_log"], r3) == {two_port}
