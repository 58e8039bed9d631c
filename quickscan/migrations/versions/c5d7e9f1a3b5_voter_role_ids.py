"""LIA ballots: the voter role "lid-adviesraad" is now "lid_adviesraad"

The vote's "ik stem als" roles became exactly the inwoners survey's "ik doe mee als" roles, whose
id is ``lid_adviesraad``. Data only; no schema change.

Revision ID: c5d7e9f1a3b5
Revises: b8e2c4d6f0a1
Create Date: 2026-11-30 11:45:00

"""
from alembic import op

revision = 'c5d7e9f1a3b5'
down_revision = 'b8e2c4d6f0a1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE lia_ballot SET voter_role = 'lid_adviesraad' "
               "WHERE voter_role = 'lid-adviesraad'")


def downgrade() -> None:
    op.execute("UPDATE lia_ballot SET voter_role = 'lid-adviesraad' "
               "WHERE voter_role = 'lid_adviesraad'")
