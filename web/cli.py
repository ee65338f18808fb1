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
