package session

import "cartago/icd"

// handler serves one event type. needsSession handlers run only after
// REGISTER_VIEWER.
type handler struct {
	fn           func(*Client, request) error
	needsSession bool
	changes      bool // changes state kept in the session snapshot
}

// handlers is the dispatch table: one entry per event type a client may
// send. Types missing here are unknown and answered with ERROR_DATA.
var handlers = map[icd.EventType]handler{}

func init() {
	handlers[icd.EventType_REGISTER_VIEWER] = handler{fn: (*Client).handleRegisterViewer}
	handlers[icd.EventType_RESUME_SESSION] = handler{fn: (*Client).handleResumeSession, needsSession: true, changes: true}
	handlers[icd.EventType_FILE_LIST_REQUEST] = handler{fn: (*Client).handleFileList, needsSession: true}
	handlers[icd.EventType_REGION_LIST_REQUEST] = handler{fn: (*Client).handleRegionList, needsSession: true}
	handlers[icd.EventType_REGION_FILE_INFO_REQUEST] = handler{fn: (*Client).handleRegionFileInfo, needsSession: true}
	handlers[icd.EventType_IMPORT_REGION] = handler{fn: (*Client).handleImportRegion, needsSession: true, changes: true}
	handlers[icd.EventType_EXPORT_REGION] = handler{fn: (*Client).handleExportRegion, needsSession: true}
	handlers[icd.EventType_CATALOG_LIST_REQUEST] = handler{fn: (*Client).handleCatalogList, needsSession: true}
	handlers[icd.EventType_CATALOG_FILE_INFO_REQUEST] = handler{fn: (*Client).handleCatalogFileInfo, needsSession: true}
	handlers[icd.EventType_OPEN_CATALOG_FILE] = handler{fn: (*Client).handleOpenCatalogFile, needsSession: true, changes: true}
	handlers[icd.EventType_CLOSE_CATALOG_FILE] = handler{fn: (*Client).handleCloseCatalogFile, needsSession: true, changes: true}
	handlers[icd.EventType_CATALOG_FILTER_REQUEST] = handler{fn: (*Client).handleCatalogFilter, needsSession: true}
	handlers[icd.EventType_FILE_INFO_REQUEST] = handler{fn: (*Client).handleFileInfo, needsSession: true}
	handlers[icd.EventType_OPEN_FILE] = handler{fn: (*Client).handleOpenFile, needsSession: true, changes: true}
	handlers[icd.EventType_CLOSE_FILE] = handler{fn: (*Client).handleCloseFile, needsSession: true, changes: true}
	handlers[icd.EventType_ADD_REQUIRED_TILES] = handler{fn: (*Client).handleAddRequiredTiles, needsSession: true}
	handlers[icd.EventType_REMOVE_REQUIRED_TILES] = handler{fn: (*Client).handleRemoveRequiredTiles, needsSession: true}
	handlers[icd.EventType_SET_IMAGE_CHANNELS] = handler{fn: (*Client).handleSetImageChannels, needsSession: true, changes: true}
	handlers[icd.EventType_SET_CURSOR] = handler{fn: (*Client).handleSetCursor, needsSession: true, changes: true}
	handlers[icd.EventType_SET_SPATIAL_REQUIREMENTS] = handler{fn: (*Client).handleSetSpatialRequirements, needsSession: true, changes: true}
	handlers[icd.EventType_SET_SPECTRAL_REQUIREMENTS] = handler{fn: (*Client).handleSetSpectralRequirements, needsSession: true, changes: true}
	handlers[icd.EventType_SET_HISTOGRAM_REQUIREMENTS] = handler{fn: (*Client).handleSetHistogramRequirements, needsSession: true, changes: true}
	handlers[icd.EventType_SET_REGION] = handler{fn: (*Client).handleSetRegion, needsSession: true, changes: true}
	handlers[icd.EventType_REMOVE_REGION] = handler{fn: (*Client).handleRemoveRegion, needsSession: true, changes: true}
	handlers[icd.EventType_SET_STATS_REQUIREMENTS] = handler{fn: (*Client).handleSetStatsRequirements, needsSession: true, changes: true}
	handlers[icd.EventType_SET_CONTOUR_PARAMETERS] = handler{fn: (*Client).handleSetContourParameters, needsSession: true, changes: true}
	handlers[icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS] = handler{fn: (*Client).handleSetVectorOverlayParameters, needsSession: true, changes: true}
	handlers[icd.EventType_CONCAT_STOKES_FILES] = handler{fn: (*Client).handleConcatStokesFiles, needsSession: true, changes: true}
	handlers[icd.EventType_SAVE_FILE] = handler{fn: (*Client).handleSaveFile, needsSession: true}
	handlers[icd.EventType_START_ANIMATION] = handler{fn: (*Client).handleStartAnimation, needsSession: true}
	handlers[icd.EventType_STOP_ANIMATION] = handler{fn: (*Client).handleStopAnimation, needsSession: true, changes: true}
	handlers[icd.EventType_MOMENT_REQUEST] = handler{fn: (*Client).handleMomentRequest, needsSession: true}
	handlers[icd.EventType_STOP_MOMENT_CALC] = handler{fn: (*Client).handleStopMomentCalc, needsSession: true}
	handlers[icd.EventType_FITTING_REQUEST] = handler{fn: (*Client).handleFittingRequest, needsSession: true}
	handlers[icd.EventType_STOP_FITTING] = handler{fn: (*Client).handleStopFitting, needsSession: true}
	handlers[icd.EventType_PV_REQUEST] = handler{fn: (*Client).handlePvRequest, needsSession: true}
	handlers[icd.EventType_STOP_PV_CALC] = handler{fn: (*Client).handleStopPvCalc, needsSession: true}
	handlers[icd.EventType_STOP_PV_PREVIEW] = handler{fn: (*Client).handleStopPvPreview, needsSession: true}
	handlers[icd.EventType_CLOSE_PV_PREVIEW] = handler{fn: (*Client).handleClosePvPreview, needsSession: true}
	handlers[icd.EventType_ANIMATION_FLOW_CONTROL] = handler{fn: (*Client).handleAnimationFlowControl, needsSession: true}
	// Listings finish before the next message is read: nothing to stop.
	handlers[icd.EventType_STOP_FILE_LIST] = handler{fn: ignore, needsSession: true}
	// Sent after every tile group; a pacing hint we do not need yet.
	handlers[icd.EventType_CHANNEL_MAP_FLOW_CONTROL] = handler{fn: ignore, needsSession: true}

	for req, resp := range pendingRequests {
		handlers[req] = handler{fn: refuseRequest(resp), needsSession: true}
	}
	for _, t := range pendingCommands {
		handlers[t] = handler{fn: refuseCommand, needsSession: true}
	}
	for _, t := range serverEvents {
		handlers[t] = handler{fn: wrongDirection}
	}
}

func ignore(*Client, request) error { return nil }

func wrongDirection(_ *Client, r request) error {
	return icdError(r, ErrWrongDirection)
}

// serverEvents are the types only a server sends.
var serverEvents = []icd.EventType{
	icd.EventType_START_ANIMATION_ACK,
	icd.EventType_REGISTER_VIEWER_ACK,
	icd.EventType_FILE_LIST_RESPONSE,
	icd.EventType_FILE_INFO_RESPONSE,
	icd.EventType_OPEN_FILE_ACK,
	icd.EventType_SET_REGION_ACK,
	icd.EventType_REGION_HISTOGRAM_DATA,
	icd.EventType_SPATIAL_PROFILE_DATA,
	icd.EventType_SPECTRAL_PROFILE_DATA,
	icd.EventType_REGION_STATS_DATA,
	icd.EventType_ERROR_DATA,
	icd.EventType_RASTER_TILE_DATA,
	icd.EventType_REGION_LIST_RESPONSE,
	icd.EventType_REGION_FILE_INFO_RESPONSE,
	icd.EventType_IMPORT_REGION_ACK,
	icd.EventType_EXPORT_REGION_ACK,
	icd.EventType_CONTOUR_IMAGE_DATA,
	icd.EventType_RESUME_SESSION_ACK,
	icd.EventType_RASTER_TILE_SYNC,
	icd.EventType_CATALOG_LIST_RESPONSE,
	icd.EventType_CATALOG_FILE_INFO_RESPONSE,
	icd.EventType_OPEN_CATALOG_FILE_ACK,
	icd.EventType_CATALOG_FILTER_RESPONSE,
	icd.EventType_SCRIPTING_REQUEST,
	icd.EventType_MOMENT_RESPONSE,
	icd.EventType_MOMENT_PROGRESS,
	icd.EventType_SAVE_FILE_ACK,
	icd.EventType_CONCAT_STOKES_FILES_ACK,
	icd.EventType_FILE_LIST_PROGRESS,
	icd.EventType_PV_RESPONSE,
	icd.EventType_PV_PROGRESS,
	icd.EventType_FITTING_RESPONSE,
	icd.EventType_VECTOR_OVERLAY_TILE_DATA,
	icd.EventType_FITTING_PROGRESS,
	icd.EventType_PV_PREVIEW_DATA,
	icd.EventType_REMOTE_FILE_RESPONSE,
}
