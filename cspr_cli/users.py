"""Commands for the accounts of the people who sign in to the web application: cspr user add|disable|list.

The password is typed at a prompt (asked twice, not shown) or read from standard
input with ``--password-stdin`` (for scripts); it is never an argument, so it
never reaches the shell's history or the process list. The engine hashes it
(argon2id) and the store keeps only the hash.
"""

from __future__ import annotations

import sys

import click

from .context import casebook, db_option
from .groups import LazyGroup
from .output import comma_list, emit_json, emit_lines, json_option


@click.group(cls=LazyGroup)
def user() -> None:
    """The people who sign in to the web application.

    Add, disable and list them; or add demo users to try it."""


def _known_roles(book: object) -> dict[str, str]:
    """The roles of every process installed or stored with the cases, and the application's own."""
    from cspr.engine.casebook.accounts import assignable_roles
    from cspr.engine.definition.catalog import available

    stored = [book.definition(row["hash"]) for row in book.store.processes()]  # type: ignore[attr-defined]
    return assignable_roles([*available(), *stored])


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        text = sys.stdin.readline()
        return text[:-1] if text.endswith("\n") else text
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return password


@user.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, callback=comma_list, required=True, metavar="ROLE",
              help="A role the user may act as (repeat for more): a process role (see 'cspr process show'), "
                   "or auditor (reads only) or admin (manages users).")
@click.option("--party", metavar="ORG", help="The organisation the user belongs to (it signs off as that party).")
@click.option("--password-stdin", "password_stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of a prompt (for scripts).")
@db_option
@json_option
def user_add(name: str, roles: tuple[str, ...], party: str | None, password_stdin: bool, db_path: str | None,
             as_json: bool) -> None:
    """Add user NAME, who may sign in and act as each --role.

    The password is asked for twice at a prompt (or read with
    --password-stdin); at least 12 characters."""
    from cspr.engine.casebook.accounts import Accounts

    with casebook(db_path, create=True) as book:
        known = _known_roles(book)
        password = _read_password(password_stdin)
        account = Accounts(book.store).add(name, password, roles, party, known)
    if as_json:
        emit_json(account.as_dict())
    else:
        click.echo(f"Added user {account.name}: {', '.join(sorted(account.roles))}"
                   + (f" for {account.party}" if account.party else ""))


DEMO_PASSWORD = "demo password, not secret"


@user.command("demo")
@db_option
@json_option
def user_demo(db_path: str | None, as_json: bool) -> None:
    """Add demo users for trying the web application: never for real cases.

    One user per role of the processes stored with the cases, named after
    the role's id, and 'auditor' and 'admin'; all with the password 'demo
    password, not secret'. Users that already exist are left as they are."""
    from cspr.engine.casebook.accounts import APPLICATION_ROLES, Accounts

    with casebook(db_path, create=True) as book:
        known = _known_roles(book)
        stored = [book.definition(row["hash"]) for row in book.store.processes()]
        roles = list(dict.fromkeys([r for d in stored for r in d.roles] or [r for r in known if r not in APPLICATION_ROLES]))
        accounts = Accounts(book.store)
        added = []
        for role in [*roles, *APPLICATION_ROLES]:
            if accounts.find_account(role) is None:
                added.append(accounts.add(role, DEMO_PASSWORD, [role], None, known))
    if as_json:
        emit_json({"password": DEMO_PASSWORD, "added": [a.as_dict() for a in added]})
        return
    if not added:
        click.echo("The demo users are there already.")
        return
    click.echo(f"Added {len(added)} demo users, each named after its role, all with the password '{DEMO_PASSWORD}':")
    emit_lines(["  " + ", ".join(a.name for a in added)])


@user.command("disable")
@click.argument("name")
@db_option
@json_option
def user_disable(name: str, db_path: str | None, as_json: bool) -> None:
    """Disable user NAME: they can no longer sign in, and their sessions end.

    Accounts are never deleted, so the names in cases' histories stay someone's."""
    from cspr.engine.casebook.accounts import Accounts

    with casebook(db_path) as book:
        account = Accounts(book.store).disable(name)
    if as_json:
        emit_json(account.as_dict())
    else:
        click.echo(f"Disabled user {account.name}")


@user.command("list")
@db_option
@json_option
def user_list(db_path: str | None, as_json: bool) -> None:
    """Every user, with their roles and party (never a password)."""
    from cspr.engine.casebook.accounts import Accounts

    from .case_text import table

    with casebook(db_path) as book:
        accounts = Accounts(book.store).listing()
    if as_json:
        emit_json([a.as_dict() for a in accounts])
        return
    if not accounts:
        click.echo("No users yet; add one with 'cspr user add NAME --role ROLE'.")
        return
    rows: list[list[str]] = [[a.name, ", ".join(sorted(a.roles)), a.party or "", "disabled" if a.disabled else "active"]
                                for a in accounts]
    emit_lines(table(rows, ["NAME", "ROLES", "PARTY", "STATUS"]) + [f"{len(accounts)} user{'s' if len(accounts) != 1 else ''}"])
