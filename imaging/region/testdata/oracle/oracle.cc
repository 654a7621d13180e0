// Test oracle: builds casacore LCRegions from region descriptions the way
// the CARTA backend's Region::GetControlPointsRecord does, prints masks.
#include <casacore/lattices/LRegions/LCRegion.h>
#include <casacore/lattices/LRegions/RegionType.h>
#include <casacore/tables/Tables/TableRecord.h>
#include <casacore/casa/Quanta/Quantum.h>
#include <casacore/casa/Arrays/Vector.h>
#include <casacore/casa/Arrays/Array.h>
#include <iostream>
#include <sstream>
#include <cmath>
#include <memory>
using namespace casacore;

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::istringstream in(line);
    long id; int kind; int W, H; float rot; int n;
    in >> id >> kind >> W >> H >> rot >> n;
    std::vector<float> px(n), py(n);
    for (int i = 0; i < n; i++) in >> px[i] >> py[i];
    TableRecord rec;
    if (kind == 0) {
      Vector<Float> blc(2), trc(2);
      blc(0) = px[0]; blc(1) = py[0]; trc(0) = px[0]; trc(1) = py[0];
      rec.define("name", "LCBox"); rec.define("blc", blc); rec.define("trc", trc);
    } else if (kind == 3) {
      float cx = px[0], cy = py[0], w = px[1], h = py[1];
      Vector<Double> x(5), y(5);
      if (rot == 0.0) {
        float x_min(cx - w / 2.0f), x_max(cx + w / 2.0f), y_min(cy - h / 2.0f), y_max(cy + h / 2.0f);
        x(0) = x_min; y(0) = y_min; x(1) = x_max; y(1) = y_min; x(2) = x_max; y(2) = y_max; x(3) = x_min; y(3) = y_max;
      } else {
        float c = cos(rot * M_PI / 180.0f), s = sin(rot * M_PI / 180.0f);
        float wx = c * w, wy = s * w, hx = -s * h, hy = c * h;
        x(0) = cx + (-wx - hx) / 2.0f; y(0) = cy + (-wy - hy) / 2.0f;
        x(1) = cx + (wx - hx) / 2.0f; y(1) = cy + (wy - hy) / 2.0f;
        x(2) = cx + (wx + hx) / 2.0f; y(2) = cy + (wy + hy) / 2.0f;
        x(3) = cx + (-wx + hx) / 2.0f; y(3) = cy + (-wy + hy) / 2.0f;
      }
      x(4) = x(0); y(4) = y(0);
      rec.define("name", "LCPolygon"); rec.define("x", x); rec.define("y", y);
    } else if (kind == 6) {
      Vector<Float> x(n + 1), y(n + 1);
      for (int i = 0; i < n; i++) { x(i) = px[i]; y(i) = py[i]; }
      x(n) = px[0]; y(n) = py[0];
      rec.define("name", "LCPolygon"); rec.define("x", x); rec.define("y", y);
    } else if (kind == 4) {
      Vector<Float> center(2), radii(2);
      center(0) = px[0]; center(1) = py[0];
      auto major = px[1]; auto minor = py[1];
      auto er = rot;
      if (major > minor) { radii(0) = major; radii(1) = minor; er += 90.0; }
      else { radii(0) = minor; radii(1) = major; }
      rec.define("name", "LCEllipsoid"); rec.define("center", center); rec.define("radii", radii);
      Quantity theta(er, "deg"); theta.convert("rad");
      rec.define("theta", theta.getValue());
    }
    rec.define("isRegion", Int(RegionType::LC));
    rec.define("comment", "");
    rec.define("oneRel", false);
    Vector<Int> shape(2); shape(0) = W; shape(1) = H;
    rec.define("shape", shape);
    std::cout << "{\"id\":" << id;
    try {
      std::unique_ptr<LCRegion> r(LCRegion::fromRecord(rec, ""));
      IPosition blc = r->boundingBox().start();
      IPosition len = r->boundingBox().length();
      Array<Bool> m = r->get();
      std::cout << ",\"box\":[" << blc(0) << "," << blc(1) << "," << len(0) << "," << len(1) << "],\"rows\":[";
      bool firstRow = true;
      for (int j = 0; j < len(1); j++) {
        std::cout << (firstRow ? "" : ",") << "[";
        firstRow = false;
        bool first = true; int start = -1;
        for (int i = 0; i <= len(0); i++) {
          bool v = i < len(0) && m(IPosition(2, i, j));
          if (v && start < 0) start = i;
          if (!v && start >= 0) {
            std::cout << (first ? "" : ",") << "[" << blc(0) + start << "," << blc(0) + i << "]";
            first = false; start = -1;
          }
        }
        std::cout << "]";
      }
      std::cout << "]}" << std::endl;
    } catch (const AipsError& e) {
      std::string msg = e.getMesg();
      for (auto& ch : msg) if (ch == '"' || ch == '\n' || ch == '\\') ch = ' ';
      std::cout << ",\"err\":\"" << msg << "\"}" << std::endl;
    }
  }
}
