"""HTTP API JWT authorizers (issue 6, item 4): the token in the identity source header must be signed
(RS256) by a key the issuer publishes (OpenID discovery, then jwks_uri, served here by a local
issuer), for one of the authorizer's audiences, unexpired, and carry one of the route's
authorizationScopes; the claims and scopes reach the function in requestContext.authorizer.jwt."""

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from conftest import FUNCTIONS, create, unique, zip_dir
from test_apigw_http import call, gw_client


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64(n):
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class Issuer:
    """A local OpenID issuer: discovery document, JWKS, and tokens signed with its key."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.hits = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                issuer.hits += 1
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/keys"}
                elif self.path == "/keys":
                    pub = issuer.key.public_key().public_numbers()
                    body = {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
                                      "n": int_b64(pub.n), "e": int_b64(pub.e)}]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, key=None, kid="k1", **claims):
        now = int(time.time())
        body = {"iss": self.url, "aud": "app", "sub": "user-1", "exp": now + 300, "iat": now}
        body.update(claims)
        head = b64url(json.dumps({"alg": "RS256", "kid": kid, "typ": "JWT"}).encode())
        payload = b64url(json.dumps({k: v for k, v in body.items() if v is not None}).encode())
        sig = (key or self.key).sign(("%s.%s" % (head, payload)).encode(), padding.PKCS1v15(), hashes.SHA256())
        return "%s.%s.%s" % (head, payload, b64url(sig))

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def issuer():
    i = Issuer()
    yield i
    i.close()


def jwt_api(gw, lam, issuer_url):
    fn = create(lam, unique("apigw-jwt"), zip_dir(FUNCTIONS / "apigw"), "python3.12", "app.handler")["FunctionArn"]
    api = gw.create_api(Name=unique("api"), ProtocolType="HTTP")["ApiId"]
    integ = gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                  PayloadFormatVersion="2.0")["IntegrationId"]
    auth = gw.create_authorizer(ApiId=api, Name="jwt", AuthorizerType="JWT",
                                IdentitySource=["$request.header.Authorization"],
                                JwtConfiguration={"Issuer": issuer_url, "Audience": ["app", "other"]})
    assert auth["AuthorizerType"] == "JWT" and auth["JwtConfiguration"]["Issuer"] == issuer_url
    for key, scopes in (("GET /secure", ["read"]), ("GET /open", [])):
        gw.create_route(ApiId=api, RouteKey=key, Target="integrations/" + integ, AuthorizationType="JWT",
                        AuthorizerId=auth["AuthorizerId"], AuthorizationScopes=scopes)
    gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    return api


def test_jwt_authorizer(daemon, lam, issuer):
    gw = gw_client(daemon.endpoint)
    api = jwt_api(gw, lam, issuer.url)
    port = daemon.port
    st, _, body = call(port, api, "GET", "/secure")
    assert st == 401 and json.loads(body) == {"message": "Unauthorized"}
    st, _, _ = call(port, api, "GET", "/secure", headers=[("Authorization", "Bearer not.a.jwt")])
    assert st == 401
    good = issuer.token(scope="read write", groups=["a", "b"])
    st, _, body = call(port, api, "GET", "/secure", headers=[("Authorization", "Bearer " + good)])
    assert st == 200, body
    jwt = json.loads(body)["requestContext"]["authorizer"]["jwt"]
    assert jwt["scopes"] == ["read", "write"]
    assert jwt["claims"]["sub"] == "user-1" and jwt["claims"]["iss"] == issuer.url
    assert jwt["claims"]["exp"] == str(json.loads(base64.urlsafe_b64decode(good.split(".")[1] + "=="))["exp"])
    assert jwt["claims"]["groups"] == '["a","b"]'
    hits = issuer.hits
    # The keys are cached: another request does not ask the issuer again.
    st, _, _ = call(port, api, "GET", "/open", headers=[("Authorization", issuer.token(aud="other"))])
    assert st == 200 and issuer.hits == hits
    # client_id stands in for aud; scopes may come as "scp".
    st, _, _ = call(port, api, "GET", "/secure",
                    headers=[("Authorization", issuer.token(aud=None, client_id="app", scp=["read"]))])
    assert st == 200
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for bad in (issuer.token(aud="nobody"), issuer.token(exp=int(time.time()) - 10),
                issuer.token(iss="https://elsewhere"), issuer.token(key=other_key),
                issuer.token(kid="unknown"), issuer.token(nbf=int(time.time()) + 600)):
        st, _, body = call(port, api, "GET", "/secure", headers=[("Authorization", bad)])
        assert st == 401 and json.loads(body) == {"message": "Unauthorized"}, bad
    st, _, body = call(port, api, "GET", "/secure", headers=[("Authorization", issuer.token(scope="write"))])
    assert st == 403 and json.loads(body) == {"message": "Forbidden"}


def test_unreachable_issuer_and_control_plane(daemon, lam):
    gw = gw_client(daemon.endpoint)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = "http://127.0.0.1:%d" % s.getsockname()[1]
    api = jwt_api(gw, lam, dead)
    st, _, body = call(daemon.port, api, "GET", "/open", headers=[("Authorization", Issuer().token())])
    assert st == 401, body
    for cfg in ({}, {"Issuer": "not-a-url", "Audience": ["a"]}, {"Issuer": "https://i", "Audience": []}):
        with pytest.raises(ClientError) as e:
            gw.create_authorizer(ApiId=api, Name="bad", AuthorizerType="JWT",
                                 IdentitySource=["$request.header.Authorization"], JwtConfiguration=cfg)
        assert e.value.response["Error"]["Code"] == "BadRequestException", cfg
    with pytest.raises(ClientError) as e:
        gw.create_authorizer(ApiId=api, Name="bad", AuthorizerType="JWT",
                             IdentitySource=["$request.querystring.token"],
                             JwtConfiguration={"Issuer": "https://i", "Audience": ["a"]})
    assert e.value.response["Error"]["Code"] == "BadRequestException"
