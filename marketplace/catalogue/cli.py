"""`flask catalogue` commands: the search table kept for the catalogue."""
import sys

import click
from flask.cli import AppGroup

from marketplace.catalogue import search_table
from marketplace.extensions import db

catalogue_cli = AppGroup("catalogue", help="The offering catalogue.")


@catalogue_cli.command("check-search")
def check_search():
    """Say whether the search table says exactly what the offerings say (exit 1 if not)."""
    lines = search_table.differences(db.session)
    for line in lines:
        click.echo(line)
    if lines:
        click.echo("the search table differs from the offerings; run "
                   "`flask catalogue rebuild-search`")
        sys.exit(1)
    click.echo("the search table says what the offerings say")


@catalogue_cli.command("rebuild-search")
def rebuild_search():
    """Rebuild the search table from the offerings, agencies and scorecards."""
    rows = search_table.rebuild(db.session.connection())
    db.session.commit()
    click.echo(f"{rows} visible offerings in the search table")
