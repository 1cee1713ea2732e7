"""The `comfyd serve` flags of authentication, and the warning for an open server."""

from __future__ import annotations

from comfyd.cli.serve_args import config_from_args

WARNING = "AUTHENTICATION IS OFF"


def test_the_flags_reach_the_config():
    config = config_from_args(
        [
            "--auth",
            "required",
            "--auth-jwks-url",
            "https://keys.example/jwks.json",
            "--auth-issuer",
            "https://issuer.example",
            "--auth-audience",
            "my-project",
            "--tls-self-signed",
        ]
    )

    assert config.auth == "required"
    assert (config.auth_jwks_url, config.auth_issuer, config.auth_audience) == (
        "https://keys.example/jwks.json",
        "https://issuer.example",
        "my-project",
    )
    assert config.tls_self_signed is True


def test_auth_is_off_by_default_as_in_comfyui():
    config = config_from_args([])
    assert (config.auth, config.auth_jwks_url, config.tls_self_signed) == ("off", None, False)


def test_a_server_without_auth_on_every_interface_warns_loudly(servers):
    server = servers("--listen", "0.0.0.0")
    assert WARNING in server.log()


def test_a_loopback_or_signed_in_server_does_not_warn(servers, jwt_server):
    assert WARNING not in jwt_server.log()
    assert WARNING not in servers("--listen", "0.0.0.0", "--auth", "required").log()
