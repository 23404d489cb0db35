/** The dashboard's one HTML page (no build step: the script renders everything from /api/events). */
export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WinHA dashboard</title>
<link rel="stylesheet" href="/app.css">
<link rel="icon" href="data:,">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <h1><a href="#/">WinHA</a></h1>
  <span id="health" role="status" aria-live="polite">connecting…</span>
  <span id="conn" class="conn" aria-live="polite"></span>
</header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
<script src="/app.js"></script>
</body>
</html>
`;
