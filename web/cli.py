"""Administration from the shell (DESIGN §8): `flask --app app <command>`."""
from __future__ import annotations

import sys
import time

import click
from flask import Flask

from metrics.access import ROLES
from metrics.warehouse import WarehouseBusy
from web import accounts
from web.services import EXTENSION, Services


def register_commands(server: Flask) -> None:
    register_import_command(server)

    def services() -> Services:
        return server.extensions[EXTENSION]

    def prepared() -> Services:
        try:
            services().prepare(seed_demo=False)
        except WarehouseBusy as error:
            raise click.ClickException(str(error)) from None
        return services()

    @server.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Seed the demo city into an empty warehouse (does nothing if it holds KPIs)."""
        started = time.perf_counter()
        try:
            seeded = services().prepare(seed_demo=True)
        except WarehouseBusy as error:
            raise click.ClickException(str(error)) from None
        if seeded:
            click.echo(f"Seeded the demo city into {services().config.warehouse_file} "
                       f"in {time.perf_counter() - started:.1f} s.")
        else:
            click.echo(f"The warehouse {services().config.warehouse_file} already holds KPIs; nothing seeded.")

    @server.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", required=True, type=click.Choice(ROLES), help="What the person may do.")
    @click.option("--department", "departments", multiple=True,
                  help="A department id the analyst works for (repeat for several).")
    @click.option("--display-name", default=None, help="The name shown in the app.")
    @click.option("--email", default=None)
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    def create_user_command(username, role, departments, display_name, email, password_stdin) -> None:
        """Create a person who can sign in. The password is asked for, or read from stdin."""
        store = prepared()
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            account = accounts.create_user(store, username, password=password, role=role, departments=departments,
                                           display_name=display_name, email=email, actor="cli")
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Created {account.username} ({account.role}"
                   + (f", departments: {', '.join(account.departments)}" if account.departments else "") + ").")

    @server.cli.command("create-token")
    @click.argument("username")
    @click.option("--name", default="API token", help="What the token is for, to recognise it later.")
    def create_token_command(username, name) -> None:
        """Create an API token for USERNAME and print it once; only its hash is kept."""
        store = prepared()
        try:
            token, token_id = accounts.create_token(store, username, name, actor="cli")
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Token {token_id} for {username} (shown only now; send it as 'Authorization: Bearer ...'):")
        click.echo(token)

    @server.cli.command("revoke-token")
    @click.argument("token_id", type=int)
    def revoke_token_command(token_id) -> None:
        """Revoke the API token with this id; calls using it are refused from now on."""
        store = prepared()
        try:
            accounts.revoke_token(store, token_id, actor="cli")
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Revoked token {token_id}.")


def register_import_command(server: Flask) -> None:
    from pathlib import Path

    from metrics.access import Scope
    from metrics.imports import ImportError_
    from metrics.profiles import Profile, ProfileError
    from web import importing

    @server.cli.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--profile", "profile_ref", required=True,
                  help="A saved or shipped profile's name, or the path of a profile JSON file.")
    @click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
    def import_command(file: Path, profile_ref: str, dry_run: bool) -> None:
        """Import FILE (CSV or XLSX) with a profile; any rejected row stops the import."""
        services = server.extensions[EXTENSION]
        try:
            services.prepare(seed_demo=False)
        except WarehouseBusy as error:
            raise click.ClickException(str(error)) from None
        import json as _json

        if Path(profile_ref).is_file():
            document, name = _json.loads(Path(profile_ref).read_text(encoding="utf-8")), None
        else:
            document, name = importing.find_profile(services, profile_ref), profile_ref
            if document is None:
                raise click.ClickException(f"No saved or shipped profile named {profile_ref!r}, and no such file.")
        try:
            profile = Profile.parse(document)
            report = importing.run(services, Scope("cli", "admin"), file, profile, file_name=file.name,
                                   profile_name=name, dry_run=dry_run)
        except (ProfileError, ImportError_) as error:
            raise click.ClickException(str(error)) from None
        verb = "Checked" if dry_run else ("Imported" if report.committed else "Did not import")
        click.echo(f"{verb} {file.name}: {report.rows} rows, {report.accepted} values, {report.targets} targets, "
                   f"{report.replaced} replaced, {report.rejected} rejected, {report.skipped} skipped"
                   + (f" (batch {report.batch_id})" if report.batch_id else "") + ".")
        for error in report.errors[:20]:
            click.echo(f"  line {error['line']}, {error['column']}: {error['value']!r}: {error['reason']}")
        if report.error_count > 20:
            click.echo(f"  ... and {report.error_count - 20} more")
        if report.error_count and profile.on_error == "reject":
            raise SystemExit(1)
