"""`amparo demo` keeps working against the system `make run` starts."""

from deploy.demo import main


def test_demo_loads_data_and_pushes_cases_through(stack, monkeypatch, capsys):
    monkeypatch.setenv("AMPARO_HOME", str(stack.home))
    assert main(cases=4, seed=11) == 0
    out = capsys.readouterr().out
    assert "beds in 20 shelters" in out
    assert "attacks in the last year" in out
    assert out.count("case ") == 4
    # A console account per role, each with a one-time password printed once.
    assert "network-staff@demo.amparo.local" in out and "fund-admin@demo.amparo.local" in out
