"""A plain read (begin_read) takes no lock and sends no BEGIN, so a write inside one would commit on its own:
it is refused instead, on SQLite and on PostgreSQL."""

import pytest
import sqlalchemy as sa

from market.db import WriteInPlainRead, begin_read
from market.models import Institution
from tests.factories import make_institution


def test_a_plain_read_sees_what_others_committed_since_its_last_statement(app, session):
    institution = make_institution(session, name="甲银行")
    session.commit()
    reader = app.extensions["market.sessions"]()
    begin_read(reader)
    assert reader.scalar(sa.select(Institution.name).where(Institution.id == institution.id)) == "甲银行"
    institution.name = "乙银行"
    session.commit()  # a writer commits while the read is still open: no lock held it back
    assert reader.scalar(sa.select(Institution.name).where(Institution.id == institution.id)) == "乙银行"
    reader.close()


def test_a_write_inside_a_plain_read_is_refused_and_changes_nothing(app, session):
    institution = make_institution(session, name="甲银行")
    session.commit()
    reader = app.extensions["market.sessions"]()
    begin_read(reader)
    with pytest.raises(WriteInPlainRead, match="commit the read first"):
        reader.execute(sa.update(Institution).where(Institution.id == institution.id).values(name="乙银行"))
    reader.rollback()
    reader.execute(sa.update(Institution).where(Institution.id == institution.id).values(name="乙银行"))
    reader.commit()  # after the read ends, the same write is an ordinary transaction
    session.expire_all()
    assert session.get(Institution, institution.id).name == "乙银行"
    reader.close()
