"""`amparo demo` keeps working against the system `make run` starts."""

from deploy.demo import main


def test_demo_loads_data_and_pushes_cases_through(stack, monkeypatch, capsys):
    monkeypatch.setenv("AMPARO_HOME", str(stack.home))
    assert main(cases=4, seed=11) == 0
    out = capsys.readouterr().out
    assert "beds in 20 shelters" in out
    assert "attacks in the last year" in out
    assert out.count("case ") == 4
