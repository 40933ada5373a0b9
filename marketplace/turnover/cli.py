"""`flask turnover …`: import a registration export file from the command line."""
import sys
import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from marketplace.core.outbox import relay_pending
from marketplace.extensions import db

turnover_cli = AppGroup("turnover", help="Technology-contract registry.")


@turnover_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "email", required=True,
              help="E-mail of the auditor or admin the import is recorded for.")
def import_command(path, email):
    """Import a CSV or XLSX export of the registration system (all rows or none)."""
    from marketplace.accounts.models import User
    from marketplace.core.spreadsheets import ImportReport
    from marketplace.turnover.imports.importer import import_file
    from marketplace.turnover.permissions import can_import_registrations

    user = db.session.execute(select(User).where(User.email == email.strip().lower())
                              ).scalar_one_or_none()
    if user is None or not can_import_registrations(user):
        raise click.UsageError(f"{email} is not an auditor or admin")
    started = time.perf_counter()
    result = import_file(path, path.rsplit("/", 1)[-1], user)
    if isinstance(result, ImportReport):
        db.session.rollback()
        click.echo(f"REFUSED: {result.bad_rows} bad rows of {result.rows_in_file}; "
                   "nothing imported", err=True)
        for row, column, reason in result.lines():
            click.echo(f"  row {row}, {column}: {reason}", err=True)
        sys.exit(1)
    db.session.commit()
    relay_pending()
    click.echo(f"imported batch {result.id}: {result.rows_added} added, "
               f"{result.rows_already_registered} already registered, "
               f"{result.rows_in_file} rows in {time.perf_counter() - started:.1f}s")
