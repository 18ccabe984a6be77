-- wrk script: GET of a small static file, with the identity token.
wrk.method = "GET"
wrk.headers["cyral.token"] = os.getenv("TOKEN") or ""
