/* tipnet-map.js — interactive maps for tipnet (choropleth, flows, border crossings).
 *
 * Needs the vendored d3 (v7) and topojson-client (v3) loaded first. Fetches nothing, except spec.geometryUrl when
 * given, and only from the page's own origin. Usage:
 *
 *   TipnetMap.render(element, spec)  ->  Promise<SVGSVGElement>
 *
 * spec (built by tipnet.maps.map_spec in Python):
 *   kind: "choropleth" | "flows" | "borders"
 *   geometry: TopoJSON object (world-atlas countries-50m), or geometryUrl: "/static/vendor/countries-50m.json"
 *   iso3ByNumeric: {"604": "PER", ...}  feature id (ISO 3166-1 numeric) -> alpha-3; properties.iso3 wins if present
 *   names: {ISO3: display name}          (optional; falls back to the geometry's short names)
 *   region: "americas" | "world" | ISO3, bounds: [west, south, east, north] (optional, overrides region)
 *   values: {ISO3: number}, classes: {edges: [...], colors: [...], labels: [...]}, noDataColor,
 *     smallStates: {ISO3: [lon, lat]} (dots for states too small to see)                          (choropleth)
 *   flows: [{origin, destination, victims, via: []}], centroids: {ISO3: [lon, lat]}              (flows)
 *   crossings: [{a, b, victims}], borderPoints: {"A|B": [lon, lat]}                              (borders)
 *   minVictims: 5 — flows and crossings below it are never drawn
 *   labels: {title, legend, map, victims: "{n} victims", domestic, domesticVictims: "Domestic: {n} victims",
 *     detectedVictims, noData, hidden: "... {n} ..."}
 *     (the page's language; English when absent), locale: "es" (BCP 47, for numbers)
 *
 * Output: <svg class="tipnet-map"> with path.country[data-iso3], path.flow[data-origin][data-destination],
 * circle.domestic[data-iso3], circle.crossing[data-a][data-b], circle.small-state[data-iso3], path.border,
 * g.legend; a div.tipnet-tooltip.
 */
(function (global) {
  "use strict";

  var REGIONS = { americas: [-170, -57, -30, 72], world: [-180, -58, 180, 84] };
  var WIDTH = 960;
  var COLORS = {
    land: "#f4f1ea", outline: "#8c8c8c", ocean: "#eef3f7", flow: "#b2182b", domestic: "#2166ac",
    crossing: "#b2182b", border: "#4d4d4d", origin: "#f9dcc4", destination: "#d3e4f1", noData: "#e4e4e4"
  };
  var uid = 0;
  var locale = "en-US";

  function fmt(v) {
    return Number(v).toLocaleString(locale, { maximumFractionDigits: 2 });
  }

  function withCount(template, n) {
    return String(template).split("{n}").join(n);
  }

  function loadGeometry(spec) {
    if (spec.geometry) return Promise.resolve(spec.geometry);
    if (!spec.geometryUrl) return Promise.reject(new Error("TipnetMap: spec.geometry or spec.geometryUrl is required"));
    var url = new URL(spec.geometryUrl, global.location.href);
    if (url.origin !== global.location.origin) {
      return Promise.reject(new Error("TipnetMap: geometryUrl must be on this site: " + spec.geometryUrl));
    }
    return global.fetch(url.href, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("TipnetMap: geometry " + r.status);
      return r.json();
    });
  }

  function boundsOf(spec) {
    if (spec.bounds && spec.bounds.length === 4) return spec.bounds;
    return REGIONS[String(spec.region || "americas").toLowerCase()] || REGIONS.americas;
  }

  function frameOutline(b) {  // the bounds' edge as points (a "rectangle" of parallels and meridians)
    var pts = [], i, t;
    for (i = 0; i <= 32; i++) {
      t = i / 32;
      pts.push([b[0] + (b[2] - b[0]) * t, b[1]], [b[0] + (b[2] - b[0]) * t, b[3]],
               [b[0], b[1] + (b[3] - b[1]) * t], [b[2], b[1] + (b[3] - b[1]) * t]);
    }
    return { type: "MultiPoint", coordinates: pts };
  }

  function makeProjection(b) {
    var outline = frameOutline(b);
    var projection = d3.geoNaturalEarth1().rotate([-(b[0] + b[2]) / 2, 0]).precision(0.2);
    var box = d3.geoPath(projection.scale(1).translate([0, 0])).bounds(outline);
    var height = Math.round(WIDTH * (box[1][1] - box[0][1]) / (box[1][0] - box[0][0]));
    projection.fitSize([WIDTH, height], outline).clipExtent([[0, 0], [WIDTH, height]]);
    return { projection: projection, height: height };
  }

  function curve(points) {  // quadratic legs, each bowed to the left of travel (as the static maps)
    var d = "M" + points[0][0] + "," + points[0][1], i, a, b, dx, dy;
    for (i = 1; i < points.length; i++) {
      a = points[i - 1]; b = points[i]; dx = b[0] - a[0]; dy = b[1] - a[1];
      d += "Q" + ((a[0] + b[0]) / 2 + dy * 0.18) + "," + ((a[1] + b[1]) / 2 - dx * 0.18) + " " + b[0] + "," + b[1];
    }
    return d;
  }

  function tooltip(root) {
    var tip = root.append("div").attr("class", "tipnet-tooltip").attr("role", "status")
      .style("position", "absolute").style("pointer-events", "none").style("display", "none")
      .style("background", "rgba(255,255,255,0.95)").style("border", "1px solid #999")
      .style("padding", "3px 6px").style("font", "12px sans-serif").style("border-radius", "3px");
    return {
      show: function (event, text) {
        var r = root.node().getBoundingClientRect();
        tip.style("display", null).text(text)
          .style("left", (event.clientX - r.left + 12) + "px").style("top", (event.clientY - r.top + 12) + "px");
      },
      hide: function () { tip.style("display", "none"); }
    };
  }

  function legendBox(svg, title, rows, height) {
    var g = svg.append("g").attr("class", "legend");
    var y = 30, h = 30 + d3.sum(rows, function (r) { return r.h || 22; }) + 4;
    g.attr("transform", "translate(12," + (height - h - 12) + ")");
    g.append("rect").attr("width", 220).attr("height", h).attr("rx", 4)
      .attr("fill", "white").attr("fill-opacity", 0.92).attr("stroke", "#b5b5b5");
    g.append("text").attr("x", 10).attr("y", 20).attr("font-weight", "bold").attr("font-size", 13).text(title || "");
    rows.forEach(function (row) {
      var rh = row.h || 22, item = g.append("g").attr("transform", "translate(10," + y + ")");
      row.draw(item, rh);
      item.append("text").attr("x", 52).attr("y", rh / 2 + 5).attr("font-size", 12).text(row.label);
      y += rh;
    });
  }

  function render(element, spec) {
    var root = d3.select(element);
    return loadGeometry(spec).then(function (topo) {
      var kind = spec.kind || "choropleth", minVictims = spec.minVictims == null ? 5 : spec.minVictims;
      var lookup = spec.iso3ByNumeric || {}, names = spec.names || {}, labels = spec.labels || {};
      locale = spec.locale || "en-US";
      var victimsOf = function (n) { return withCount(labels.victims || "{n} victims", fmt(n)); };
      var domestic = labels.domestic || "domestic";
      var b = boundsOf(spec), frame = makeProjection(b), path = d3.geoPath(frame.projection);
      var id = "tipnet-map-" + (++uid);
      var iso3Of = function (f) { return (f.properties && f.properties.iso3) || lookup[f.id] || null; };
      var nameOf = function (iso, f) { return names[iso] || (f && f.properties && f.properties.name) || iso; };
      var features = topojson.feature(topo, topo.objects.countries).features.filter(function (f) {
        return iso3Of(f) !== "ATA" || String(spec.region).toUpperCase() === "ATA";
      });
      root.selectAll("svg.tipnet-map, div.tipnet-tooltip").remove();
      if (root.style("position") === "static") root.style("position", "relative");
      var svg = root.append("svg").attr("class", "tipnet-map").attr("id", id)
        .attr("viewBox", "0 0 " + WIDTH + " " + frame.height).attr("width", "100%")
        .attr("role", "img").attr("aria-label", labels.title || labels.map || "map");
      svg.append("title").text(labels.title || "");
      var defs = svg.append("defs");
      var hatch = defs.append("pattern").attr("id", id + "-hatch").attr("patternUnits", "userSpaceOnUse")
        .attr("width", 6).attr("height", 6).attr("patternTransform", "rotate(45)");
      hatch.append("rect").attr("width", 6).attr("height", 6).attr("fill", spec.noDataColor || COLORS.noData);
      hatch.append("line").attr("x1", 0).attr("y1", 0).attr("x2", 0).attr("y2", 6)
        .attr("stroke", "#9e9e9e").attr("stroke-width", 1);
      defs.append("marker").attr("id", id + "-arrow").attr("viewBox", "0 0 10 10").attr("refX", 8).attr("refY", 5)
        .attr("markerWidth", 2.8).attr("markerHeight", 2.8).attr("orient", "auto")
        .append("path").attr("d", "M0,0L10,5L0,10z").attr("fill", COLORS.flow);
      svg.append("rect").attr("class", "ocean").attr("width", WIDTH).attr("height", frame.height)
        .attr("fill", COLORS.ocean);
      var tip = tooltip(root);
      var values = spec.values || {}, classes = spec.classes;
      var colorOf = function (v) {
        var i = d3.bisectRight(classes.edges.slice(1, -1), v);
        return classes.colors[Math.max(0, Math.min(i, classes.colors.length - 1))];
      };
      var flows = (spec.flows || []).filter(function (f) { return f.victims >= minVictims; });
      var crossings = (spec.crossings || []).filter(function (c) { return c.victims >= minVictims; });
      var stops = function (f) {
        return [f.origin].concat(f.via || [], [f.destination]).filter(function (c, i, a) { return i === 0 || c !== a[i - 1]; });
      };
      var moving = flows.filter(function (f) { return stops(f).length > 1; });
      var origins = new Set(moving.map(function (f) { return f.origin; }));
      var destinations = new Set(moving.map(function (f) { return f.destination; }));
      var fill = function (iso) {
        if (kind === "choropleth") {
          return classes && values[iso] != null ? colorOf(values[iso]) : "url(#" + id + "-hatch)";
        }
        if (kind === "flows" && origins.has(iso)) return COLORS.origin;
        if (kind === "flows" && destinations.has(iso)) return COLORS.destination;
        return COLORS.land;
      };
      svg.append("g").attr("class", "countries").selectAll("path").data(features).join("path")
        .attr("class", function (f) { return iso3Of(f) ? "country" : "land"; })
        .attr("data-iso3", function (f) { return iso3Of(f); })
        .attr("d", path).attr("fill", function (f) { return fill(iso3Of(f)); })
        .attr("stroke", COLORS.outline).attr("stroke-width", 0.5)
        .on("mousemove", function (event, f) {
          var iso = iso3Of(f), text = nameOf(iso, f);
          if (kind === "choropleth") text += ": " + (values[iso] != null ? fmt(values[iso]) : "no data");
          tip.show(event, text);
        })
        .on("mouseleave", tip.hide);
      var project = function (lonlat) { return frame.projection(lonlat); };
      if (kind === "choropleth" && classes && b[2] - b[0] >= 40) {  // small states as dots in their colour
        var small = svg.append("g").attr("class", "small-states");
        Object.keys(spec.smallStates || {}).sort().forEach(function (iso) {
          var p = project(spec.smallStates[iso]);
          if (!p || values[iso] == null) return;
          small.append("circle").attr("class", "small-state").attr("data-iso3", iso).attr("cx", p[0]).attr("cy", p[1])
            .attr("r", 4).attr("fill", colorOf(values[iso])).attr("stroke", "#333").attr("stroke-width", 0.8)
            .on("mousemove", function (event) { tip.show(event, nameOf(iso) + ": " + fmt(values[iso])); })
            .on("mouseleave", tip.hide);
        });
      }
      var vmax = d3.max(flows.concat(crossings), function (d) { return d.victims; }) || 1;
      var rows = [];
      if (kind === "choropleth") {
        (classes ? classes.labels : []).forEach(function (label, i) {
          rows.push({ label: label, draw: function (g) {
            g.append("rect").attr("y", 3).attr("width", 40).attr("height", 16).attr("fill", classes.colors[i]).attr("stroke", "#8c8c8c");
          } });
        });
        rows.push({ label: labels.noData || "No data", draw: function (g) {
          g.append("rect").attr("y", 3).attr("width", 40).attr("height", 16).attr("fill", "url(#" + id + "-hatch)").attr("stroke", "#8c8c8c");
        } });
      } else if (kind === "flows") {
        var centroids = spec.centroids || {};
        var width = function (v) { return Math.max(1, 9 * v / vmax); };
        var drawable = flows.filter(function (f) { return stops(f).every(function (c) { return centroids[c]; }); })
          .sort(function (x, y) { return y.victims - x.victims; });
        var g = svg.append("g").attr("class", "flows");
        drawable.forEach(function (f) {
          var s = stops(f), label = s.map(function (c) { return nameOf(c); }).join(" → ") + ": " + victimsOf(f.victims);
          if (s.length === 1) {
            var p = project(centroids[s[0]]);
            g.append("circle").attr("class", "domestic").attr("data-iso3", s[0]).attr("cx", p[0]).attr("cy", p[1])
              .attr("r", Math.max(3, 18 * Math.sqrt(f.victims / vmax))).attr("fill", COLORS.domestic)
              .attr("fill-opacity", 0.55).attr("stroke", "white")
              .on("mousemove", function (event) { tip.show(event, nameOf(s[0]) + " (" + domestic + "): " + victimsOf(f.victims)); })
              .on("mouseleave", tip.hide);
            return;
          }
          g.append("path").attr("class", "flow").attr("data-origin", f.origin).attr("data-destination", f.destination)
            .attr("data-victims", f.victims).attr("d", curve(s.map(function (c) { return project(centroids[c]); })))
            .attr("fill", "none").attr("stroke", COLORS.flow).attr("stroke-opacity", 0.78)
            .attr("stroke-width", width(f.victims)).attr("stroke-linecap", "round")
            .attr("marker-end", "url(#" + id + "-arrow)")
            .on("mousemove", function (event) { tip.show(event, label); }).on("mouseleave", tip.hide);
        });
        var sizes = moving.map(function (f) { return f.victims; });
        if (sizes.length) {
          Array.from(new Set([d3.min(sizes), d3.max(sizes)])).forEach(function (v) {
            rows.push({ label: victimsOf(v), draw: function (gg, rh) {
              gg.append("line").attr("x1", 0).attr("x2", 40).attr("y1", rh / 2).attr("y2", rh / 2)
                .attr("stroke", COLORS.flow).attr("stroke-opacity", 0.78).attr("stroke-width", width(v));
            } });
          });
        }
        var home = flows.filter(function (f) { return stops(f).length === 1; });
        if (home.length) {
          var hv = d3.max(home, function (f) { return f.victims; }), hr = Math.max(3, 18 * Math.sqrt(hv / vmax));
          rows.push({ label: withCount(labels.domesticVictims || "Domestic: {n} victims", fmt(hv)), h: Math.max(22, 2 * hr + 6), draw: function (gg, rh) {
            gg.append("circle").attr("cx", 20).attr("cy", rh / 2).attr("r", hr).attr("fill", COLORS.domestic)
              .attr("fill-opacity", 0.55);
          } });
        }
      } else {
        var points = spec.borderPoints || {};
        var mesh = svg.append("g").attr("class", "borders"), marks = svg.append("g").attr("class", "crossings");
        crossings.forEach(function (c) {
          var a = c.a, bb = c.b, pt = points[a + "|" + bb] || points[bb + "|" + a];
          if (!pt) return;
          mesh.append("path").attr("class", "border").attr("data-a", a).attr("data-b", bb)
            .attr("d", path(topojson.mesh(topo, topo.objects.countries, function (x, y) {
              var i = iso3Of(x), j = iso3Of(y);
              return (i === a && j === bb) || (i === bb && j === a);
            }))).attr("fill", "none").attr("stroke", COLORS.border).attr("stroke-width", 2.2);
          var p = project(pt);
          marks.append("circle").attr("class", "crossing").attr("data-a", a).attr("data-b", bb)
            .attr("cx", p[0]).attr("cy", p[1]).attr("r", Math.max(4, 18 * Math.sqrt(c.victims / vmax)))
            .attr("fill", COLORS.crossing).attr("fill-opacity", 0.6).attr("stroke", "white")
            .on("mousemove", function (event) {
              tip.show(event, nameOf(a) + " – " + nameOf(bb) + ": " + victimsOf(c.victims));
            })
            .on("mouseleave", tip.hide);
        });
        var counts = crossings.map(function (c) { return c.victims; });
        if (counts.length) {
          Array.from(new Set([d3.min(counts), d3.max(counts)])).forEach(function (v) {
            var r = Math.max(4, 18 * Math.sqrt(v / vmax));
            rows.push({ label: victimsOf(v), h: Math.max(22, 2 * r + 6), draw: function (gg, rh) {
              gg.append("circle").attr("cx", 20).attr("cy", rh / 2).attr("r", r).attr("fill", COLORS.crossing)
                .attr("fill-opacity", 0.6);
            } });
          });
        }
        rows.push({ label: labels.sharedBorder || "Shared land border", draw: function (gg, rh) {
          gg.append("line").attr("x1", 0).attr("x2", 40).attr("y1", rh / 2).attr("y2", rh / 2)
            .attr("stroke", COLORS.border).attr("stroke-width", 2.2);
        } });
      }
      svg.append("text").attr("class", "map-title").attr("x", 12).attr("y", 26).attr("font-size", 18)
        .attr("font-weight", "bold").attr("paint-order", "stroke").attr("stroke", "white").attr("stroke-width", 4)
        .text(labels.title || "");
      if (kind !== "choropleth") {
        svg.append("text").attr("x", 12).attr("y", 46).attr("font-size", 12).attr("fill", "#5a5a5a")
          .text(withCount(labels.hidden || "Fewer than {n} victims: not shown.", minVictims));
      }
      legendBox(svg, labels.legend || (kind === "choropleth" ? "" : labels.detectedVictims || "Detected victims"), rows,
        frame.height);
      return svg.node();
    });
  }

  global.TipnetMap = { render: render, version: "1.0.0" };
})(window);
