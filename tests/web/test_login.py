"""Logging in and out through the real forms."""

from tests.factories import make_user


def test_a_user_logs_in_and_sees_their_desk(app, session, client, auth):
    user = make_user(session)
    session.commit()
    response = auth.login(user.email)
    assert response.status_code == 302
    assert client.get("/home").status_code == 200


def test_a_wrong_password_is_refused_with_a_message(session, client, auth):
    user = make_user(session)
    session.commit()
    response = auth.login(user.email, "not-the-password")
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True) or "错误" in response.get_data(as_text=True)
