package icd

import (
	"bytes"
	"encoding/hex"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// unhex turns a spaced hex string into bytes; it fails the test on typos.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// TestWireBytes pins the exact encoding of messages whose bytes can be worked
// out by hand. A wrong scalar type (int32 vs sfixed32 vs fixed32), a wrong
// field number or an unpacked repeated field changes these bytes, and the
// frontend would then silently drop or misread the field.
//
// Tag byte = field_number<<3 | wire_type, wire types: 0 varint, 1 64-bit,
// 2 length-delimited, 5 32-bit. Fixed-width values are little-endian.
func TestWireBytes(t *testing.T) {
	tests := []struct {
		name string
		msg  proto.Message
		want string // hex, spaces for readability only
	}{
		{
			// fixed32 session id 12345 = 0x3039, fixed32 flags 5.
			name: "RegisterViewer",
			msg:  &RegisterViewer{SessionId: 12345, ClientFeatureFlags: 5},
			want: "0d 39300000  1d 05000000",
		},
		{
			// One map entry: key #1 (0x0a) and value #2 (0x12) inside field 8.
			name: "RegisterViewerAck",
			msg: &RegisterViewerAck{
				SessionId:       0xdeadbeef,
				Success:         true,
				SessionType:     SessionType_RESUMED,
				PlatformStrings: map[string]string{"a": "b"},
			},
			want: "0d efbeadde  10 01  20 01  42 06 0a0161 120162",
		},
		{
			name: "ErrorData",
			msg:  &ErrorData{Severity: ErrorSeverity_ERROR, Tags: []string{"x"}, Message: "m"},
			want: "08 03  12 01 78  1a 01 6d",
		},
		{
			name: "ResumeSessionAck",
			msg:  &ResumeSessionAck{Success: true, Message: "ok"},
			want: "08 01  12 02 6f6b",
		},
		{
			// sfixed32 -1 is four 0xff bytes, not a 10-byte varint.
			name: "CloseFile all",
			msg:  &CloseFile{FileId: -1},
			want: "0d ffffffff",
		},
		{
			// tiles and current_tiles are packed sfixed32 (one length-
			// delimited blob of 4-byte values). Tile (layer 1, x 1, y 1) is
			// 1<<24 | 1<<12 | 1 = 0x01001001. 11.0 as float32 is 0x41300000.
			name: "AddRequiredTiles",
			msg: &AddRequiredTiles{
				FileId:             1,
				Tiles:              []int32{0, 0x01001001},
				CompressionType:    CompressionType_ZFP,
				CompressionQuality: 11,
				CurrentTiles:       []int32{5},
			},
			want: "0d 01000000  12 08 00000000 01100001  18 01  25 00003041  2a 04 05000000",
		},
		{
			// stokes 0 and animation_id 0 are defaults and are not written.
			name: "RasterTileSync end",
			msg: &RasterTileSync{
				FileId:    2,
				Channel:   3,
				SyncId:    7,
				TileCount: 4,
				EndSync:   true,
			},
			want: "0d 02000000  15 03000000  25 07000000  35 04000000  38 01",
		},
		{
			name: "RasterTileData",
			msg: &RasterTileData{
				FileId:             1,
				CompressionType:    CompressionType_NONE,
				CompressionQuality: 1,
				SyncId:             1,
				Tiles:              []*TileData{{Layer: 0, Width: 1, Height: 1, ImageData: []byte{1, 2, 3, 4}}},
			},
			// tile: width #4 sfixed32, height #5 sfixed32, image_data #6.
			want: "0d 01000000  2d 0000803f  35 01000000  42 10 25 01000000 2d 01000000 32 04 01020304",
		},
		{
			// ICD 30 fields 5-7. An empty but present required_tiles is
			// written as tag + zero length (the frontend does this too).
			name: "SetImageChannels channel map",
			msg: &SetImageChannels{
				Channel:           10,
				Stokes:            1,
				RequiredTiles:     &AddRequiredTiles{},
				ChannelRange:      &IntBounds{Min: 2, Max: 5},
				CurrentRange:      &IntBounds{Min: 0, Max: 9},
				ChannelMapEnabled: true,
			},
			want: "15 0a000000  1d 01000000  22 00  2a 0a 0d02000000 1505000000  32 05 1509000000  38 01",
		},
		{
			name: "ChannelMapFlowControl",
			msg:  &ChannelMapFlowControl{FileId: 1, ReceivedChannel: 2},
			want: "0d 01000000  15 02000000",
		},
		{
			// ICD 30 field 13 (tag 0x6a) holding a SetVectorOverlayParameters
			// with fixed32 file_id and ICD 30 field 14 threshold_option
			// (tag 0x70, Ptotal = 13).
			name: "ImageProperties vector overlay",
			msg: &ImageProperties{
				FileId: 3,
				VectorOverlaySettings: &SetVectorOverlayParameters{
					FileId:          3,
					ThresholdOption: PolarizationType_Ptotal,
				},
			},
			want: "2d 03000000  6a 07 0d03000000 700d",
		},
		{
			// Map entry with an sfixed32 key (0x0d) and message value.
			name: "ImageProperties regions",
			msg: &ImageProperties{
				Regions: map[int32]*RegionInfo{
					-2: {RegionType: RegionType_RECTANGLE},
				},
			},
			want: "4a 09 0d feffffff 12 02 0803",
		},
		{
			// fixed32 file ids and ICD 30 field 10 channel_range; levels are
			// packed doubles (1.0 = 0x3ff0000000000000).
			name: "SetContourParameters",
			msg: &SetContourParameters{
				FileId:          1,
				ReferenceFileId: 1,
				Levels:          []float64{1},
				ChannelRange:    &IntBounds{Min: 1, Max: 1},
			},
			want: "0d 01000000  15 01000000  22 08 000000000000f03f  52 0a 0d01000000 1501000000",
		},
		{
			// FileInfo.HDU_list is field 4; size is sfixed64.
			name: "FileInfo",
			msg:  &FileInfo{Name: "a", Type: FileType_FITS, Size: 2, HDUList: []string{"0"}},
			want: "0a 01 61  10 03  19 0200000000000000  22 01 30",
		},
		{
			// The one place with varint int32 sizes (as in the 6.0.0 bundle).
			name: "RemoteFileRequest",
			msg:  &RemoteFileRequest{FileId: 1, Width: 300, Height: 1},
			want: "0d 01000000  20 ac02  28 01",
		},
		{
			// Bundle layout: preview_data is 4, cancel is 5.
			name: "PvResponse",
			msg:  &PvResponse{Success: true, Cancel: true, PreviewData: &PvPreviewData{}},
			want: "08 01  22 00  28 01",
		},
		{
			// Nested message type, packed enum list.
			name: "SetStatsRequirements",
			msg: &SetStatsRequirements{
				FileId:   1,
				RegionId: -1,
				StatsConfigs: []*SetStatsRequirements_StatsConfig{{
					Coordinate: "z",
					StatsTypes: []StatsType{StatsType_NumPixels, StatsType_Sum},
				}},
			},
			want: "0d 01000000  15 ffffffff  1a 07 0a017a 12020002",
		},
		{
			// threshold is a 64-bit double (NaN = no threshold); the quiet
			// NaN 0x7ff8000000000000 is spelled out so the bytes are fixed.
			name: "SetVectorOverlayParameters clear",
			msg: &SetVectorOverlayParameters{
				FileId:          1,
				Threshold:       math.Float64frombits(0x7ff8000000000000),
				StokesIntensity: -1,
				StokesAngle:     -1,
			},
			want: "0d 01000000  31 000000000000f87f  55 ffffffff  5d ffffffff",
		},
	}
	opts := proto.MarshalOptions{Deterministic: true}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.want)
			got, err := opts.Marshal(tc.msg)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("wire bytes\n got %x\nwant %x", got, want)
			}
			// The same bytes must decode back to an equal message.
			back := tc.msg.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(want, back); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !proto.Equal(back, tc.msg) {
				t.Fatalf("round trip mismatch:\n got %v\nwant %v", back, tc.msg)
			}
		})
	}
}

// eventPayloads is the EventType table of the ICD 30 reference (icd.md §2.1):
// every event number with its name and the message carried in the frame.
var eventPayloads = []struct {
	num     int32
	name    string
	payload string // message name; "" for EMPTY_EVENT
}{
	{0, "EMPTY_EVENT", ""},
	{1, "REGISTER_VIEWER", "RegisterViewer"},
	{2, "FILE_LIST_REQUEST", "FileListRequest"},
	{3, "FILE_INFO_REQUEST", "FileInfoRequest"},
	{4, "OPEN_FILE", "OpenFile"},
	{6, "SET_IMAGE_CHANNELS", "SetImageChannels"},
	{7, "SET_CURSOR", "SetCursor"},
	{8, "SET_SPATIAL_REQUIREMENTS", "SetSpatialRequirements"},
	{9, "SET_HISTOGRAM_REQUIREMENTS", "SetHistogramRequirements"},
	{10, "SET_STATS_REQUIREMENTS", "SetStatsRequirements"},
	{11, "SET_REGION", "SetRegion"},
	{12, "REMOVE_REGION", "RemoveRegion"},
	{13, "CLOSE_FILE", "CloseFile"},
	{14, "SET_SPECTRAL_REQUIREMENTS", "SetSpectralRequirements"},
	{15, "START_ANIMATION", "StartAnimation"},
	{16, "START_ANIMATION_ACK", "StartAnimationAck"},
	{17, "STOP_ANIMATION", "StopAnimation"},
	{18, "REGISTER_VIEWER_ACK", "RegisterViewerAck"},
	{19, "FILE_LIST_RESPONSE", "FileListResponse"},
	{20, "FILE_INFO_RESPONSE", "FileInfoResponse"},
	{21, "OPEN_FILE_ACK", "OpenFileAck"},
	{22, "SET_REGION_ACK", "SetRegionAck"},
	{23, "REGION_HISTOGRAM_DATA", "RegionHistogramData"},
	{25, "SPATIAL_PROFILE_DATA", "SpatialProfileData"},
	{26, "SPECTRAL_PROFILE_DATA", "SpectralProfileData"},
	{27, "REGION_STATS_DATA", "RegionStatsData"},
	{28, "ERROR_DATA", "ErrorData"},
	{29, "ANIMATION_FLOW_CONTROL", "AnimationFlowControl"},
	{30, "ADD_REQUIRED_TILES", "AddRequiredTiles"},
	{31, "REMOVE_REQUIRED_TILES", "RemoveRequiredTiles"},
	{32, "RASTER_TILE_DATA", "RasterTileData"},
	{33, "REGION_LIST_REQUEST", "RegionListRequest"},
	{34, "REGION_LIST_RESPONSE", "RegionListResponse"},
	{35, "REGION_FILE_INFO_REQUEST", "RegionFileInfoRequest"},
	{36, "REGION_FILE_INFO_RESPONSE", "RegionFileInfoResponse"},
	{37, "IMPORT_REGION", "ImportRegion"},
	{38, "IMPORT_REGION_ACK", "ImportRegionAck"},
	{39, "EXPORT_REGION", "ExportRegion"},
	{40, "EXPORT_REGION_ACK", "ExportRegionAck"},
	{45, "SET_CONTOUR_PARAMETERS", "SetContourParameters"},
	{46, "CONTOUR_IMAGE_DATA", "ContourImageData"},
	{47, "RESUME_SESSION", "ResumeSession"},
	{48, "RESUME_SESSION_ACK", "ResumeSessionAck"},
	{49, "RASTER_TILE_SYNC", "RasterTileSync"},
	{50, "CATALOG_LIST_REQUEST", "CatalogListRequest"},
	{51, "CATALOG_LIST_RESPONSE", "CatalogListResponse"},
	{52, "CATALOG_FILE_INFO_REQUEST", "CatalogFileInfoRequest"},
	{53, "CATALOG_FILE_INFO_RESPONSE", "CatalogFileInfoResponse"},
	{54, "OPEN_CATALOG_FILE", "OpenCatalogFile"},
	{55, "OPEN_CATALOG_FILE_ACK", "OpenCatalogFileAck"},
	{56, "CLOSE_CATALOG_FILE", "CloseCatalogFile"},
	{57, "CATALOG_FILTER_REQUEST", "CatalogFilterRequest"},
	{58, "CATALOG_FILTER_RESPONSE", "CatalogFilterResponse"},
	{59, "SCRIPTING_REQUEST", "ScriptingRequest"},
	{60, "SCRIPTING_RESPONSE", "ScriptingResponse"},
	{61, "MOMENT_REQUEST", "MomentRequest"},
	{62, "MOMENT_RESPONSE", "MomentResponse"},
	{63, "MOMENT_PROGRESS", "MomentProgress"},
	{64, "STOP_MOMENT_CALC", "StopMomentCalc"},
	{65, "SAVE_FILE", "SaveFile"},
	{66, "SAVE_FILE_ACK", "SaveFileAck"},
	{69, "CONCAT_STOKES_FILES", "ConcatStokesFiles"},
	{70, "CONCAT_STOKES_FILES_ACK", "ConcatStokesFilesAck"},
	{71, "FILE_LIST_PROGRESS", "ListProgress"},
	{72, "STOP_FILE_LIST", "StopFileList"},
	{75, "PV_REQUEST", "PvRequest"},
	{76, "PV_RESPONSE", "PvResponse"},
	{77, "PV_PROGRESS", "PvProgress"},
	{78, "STOP_PV_CALC", "StopPvCalc"},
	{79, "FITTING_REQUEST", "FittingRequest"},
	{80, "FITTING_RESPONSE", "FittingResponse"},
	{81, "SET_VECTOR_OVERLAY_PARAMETERS", "SetVectorOverlayParameters"},
	{82, "VECTOR_OVERLAY_TILE_DATA", "VectorOverlayTileData"},
	{83, "FITTING_PROGRESS", "FittingProgress"},
	{84, "STOP_FITTING", "StopFitting"},
	{85, "PV_PREVIEW_DATA", "PvPreviewData"},
	{86, "STOP_PV_PREVIEW", "StopPvPreview"},
	{87, "CLOSE_PV_PREVIEW", "ClosePvPreview"},
	{88, "REMOTE_FILE_REQUEST", "RemoteFileRequest"},
	{89, "REMOTE_FILE_RESPONSE", "RemoteFileResponse"},
	{90, "CHANNEL_MAP_FLOW_CONTROL", "ChannelMapFlowControl"},
}

const pkg protoreflect.FullName = "cartago.icd"

// countDescriptors walks all files of our package and counts message types
// the way the ICD reference does (one per class in the frontend bundle):
// top-level and nested messages, but not the synthetic map-entry messages
// protoc creates for map fields.
func countDescriptors(t *testing.T) (messages map[protoreflect.FullName]bool, enums map[protoreflect.FullName]bool) {
	t.Helper()
	messages = map[protoreflect.FullName]bool{}
	enums = map[protoreflect.FullName]bool{}
	var walk func(ms protoreflect.MessageDescriptors)
	walk = func(ms protoreflect.MessageDescriptors) {
		for i := 0; i < ms.Len(); i++ {
			m := ms.Get(i)
			if m.IsMapEntry() {
				continue
			}
			messages[m.FullName()] = true
			for j := 0; j < m.Enums().Len(); j++ {
				enums[m.Enums().Get(j).FullName()] = true
			}
			walk(m.Messages())
		}
	}
	files := 0
	protoregistry.GlobalFiles.RangeFilesByPackage(pkg, func(fd protoreflect.FileDescriptor) bool {
		files++
		if fd.Syntax() != protoreflect.Proto3 {
			t.Errorf("%s: syntax %v, want proto3", fd.Path(), fd.Syntax())
		}
		walk(fd.Messages())
		for i := 0; i < fd.Enums().Len(); i++ {
			enums[fd.Enums().Get(i).FullName()] = true
		}
		return true
	})
	if files == 0 {
		t.Fatalf("no files registered for package %s", pkg)
	}
	return messages, enums
}

// TestRegistry checks the generated descriptors against the ICD 30 reference:
// 118 message classes, 28 enums and the complete EventType table.
func TestRegistry(t *testing.T) {
	messages, enums := countDescriptors(t)
	if got, want := len(messages), 118; got != want {
		t.Errorf("message types (without map entries) = %d, want %d", got, want)
	}
	if got, want := len(enums), 28; got != want {
		t.Errorf("enum types = %d, want %d", got, want)
	}

	d, err := protoregistry.GlobalFiles.FindDescriptorByName(pkg + ".EventType")
	if err != nil {
		t.Fatalf("EventType not registered: %v", err)
	}
	et := d.(protoreflect.EnumDescriptor)
	if got, want := et.Values().Len(), len(eventPayloads); got != want {
		t.Errorf("EventType has %d values, want %d", got, want)
	}
	for _, ev := range eventPayloads {
		v := et.Values().ByName(protoreflect.Name(ev.name))
		if v == nil {
			t.Errorf("EventType value %s missing", ev.name)
			continue
		}
		if v.Number() != protoreflect.EnumNumber(ev.num) {
			t.Errorf("EventType %s = %d, want %d", ev.name, v.Number(), ev.num)
		}
		// The Go constant agrees with the descriptor.
		if got := EventType(ev.num).String(); got != ev.name {
			t.Errorf("EventType(%d).String() = %q, want %q", ev.num, got, ev.name)
		}
		if ev.payload == "" {
			continue
		}
		if !messages[pkg+"."+protoreflect.FullName(ev.payload)] {
			t.Errorf("payload message %s of %s missing", ev.payload, ev.name)
		}
	}
	if EventType_CHANNEL_MAP_FLOW_CONTROL != 90 {
		t.Errorf("EventType_CHANNEL_MAP_FLOW_CONTROL = %d, want 90", EventType_CHANNEL_MAP_FLOW_CONTROL)
	}
}

// TestEnumValues pins enums whose numbers are used as bit flags or whose
// value names had to be made unique within the package.
func TestEnumValues(t *testing.T) {
	tests := []struct {
		enum   protoreflect.FullName
		values map[string]int32
	}{
		{pkg + ".SessionType", map[string]int32{"NEW": 0, "RESUMED": 1}},
		{pkg + ".CompressionType", map[string]int32{"NONE": 0, "ZFP": 1, "SZ": 2}},
		{pkg + ".ClientFeatureFlags", map[string]int32{
			"CLIENT_FEATURE_NONE": 0, "WEB_GL": 1, "WEB_GL_2": 2, "WEB_ASSEMBLY": 4,
			"WEB_ASSEMBLY_THREADS": 8, "OFFSCREEN_CANVAS": 16,
		}},
		{pkg + ".ServerFeatureFlags", map[string]int32{
			"SERVER_FEATURE_NONE": 0, "SZ_COMPRESSION": 1, "HEVC_COMPRESSION": 2,
			"NVENC_COMPRESSION": 4, "READ_ONLY": 8, "USER_PREFERENCES": 16,
			"USER_LAYOUTS": 32, "SCRIPTING": 64,
		}},
		{pkg + ".FileFeatureFlags", map[string]int32{
			"FILE_FEATURE_NONE": 0, "ROTATED_DATASET": 1, "CHANNEL_HISTOGRAMS": 2,
			"CUBE_HISTOGRAMS": 4, "CHANNEL_STATS": 8, "MEAN_IMAGE": 16, "MIP_DATASET": 32,
		}},
		{pkg + ".PolarizationType", map[string]int32{"POLARIZATION_TYPE_NONE": 0, "I": 1, "Ptotal": 13, "Pangle": 17}},
		{pkg + ".MomentMask", map[string]int32{"None": 0, "Include": 1, "Exclude": 2}},
		{pkg + ".CatalogFileType", map[string]int32{"FITSTable": 0, "VOTable": 1, "Unknown": 2}},
		{pkg + ".FileType", map[string]int32{"CASA": 0, "FITS": 3, "UNKNOWN": 6}},
	}
	for _, tc := range tests {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(tc.enum)
		if err != nil {
			t.Errorf("%s: %v", tc.enum, err)
			continue
		}
		vals := d.(protoreflect.EnumDescriptor).Values()
		for name, num := range tc.values {
			v := vals.ByName(protoreflect.Name(name))
			if v == nil {
				t.Errorf("%s.%s missing", tc.enum, name)
				continue
			}
			if v.Number() != protoreflect.EnumNumber(num) {
				t.Errorf("%s.%s = %d, want %d", tc.enum, name, v.Number(), num)
			}
		}
	}
}
