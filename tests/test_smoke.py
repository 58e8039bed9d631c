"""The app starts, serves its health check and the front page."""


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.data == b"ok"


def test_index(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Quickscan Inclusieve Gemeente" in response.get_data(as_text=True)
